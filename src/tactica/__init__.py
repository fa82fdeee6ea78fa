"""tactica: Domain-Driven Design, CQRS and event sourcing building blocks, sync and async.

This module re-exports the flavour-neutral names. Domain classes come in two flavours
with the same names and behaviour: `tactica.dataclasses` (standard-library dataclasses)
and `tactica.pydantic` (pydantic v2 models, extra ``pydantic``).

Names are loaded on first use, so ``import tactica.dataclasses`` (or any inner module)
pays only for what it imports, never for a backend.
"""

from __future__ import annotations

import importlib
import typing

from tactica.errors import (
    AggregateAlreadyExistsError,
    AggregateNotFoundError,
    ConcurrencyError,
    ConfigurationError,
    DuplicateHandlerError,
    DuplicateMessageTypeError,
    HandlerColourError,
    HandlerNotFoundError,
    ImmutableObjectError,
    InvalidMessageError,
    MessageDecodeError,
    MessageEncodeError,
    MissingExtraError,
    MissingIdentityError,
    SerializationError,
    TacticaError,
    UnknownMessageTypeError,
    UnreadableEventError,
    UpcastError,
)

if typing.TYPE_CHECKING:
    from tactica.codec import (
        JsonCodec,
        TypeRegistry,
        Upcasters,
    )
    from tactica.domain.context import (
        MessageContext,
        current_message_context,
        message_context,
    )
    from tactica.domain.decider import (
        Decider,
        decide_and_evolve,
        fold,
    )
    from tactica.domain.frozendict import (
        FrozenDict,
    )
    from tactica.domain.ids import (
        uuid7,
    )
    from tactica.domain.specification import (
        Predicate,
        Specification,
    )
    from tactica.messaging import (
        AsyncMessageBus,
        Handlers,
        MessageBus,
    )
    from tactica.ports import (
        AsyncRepository,
        Repository,
    )
    from tactica.stores.memory import (
        AsyncInMemoryRepository,
        InMemoryDatabase,
        InMemoryRepository,
    )

__version__ = "0.1.0.dev0"

__all__ = [
    "AggregateAlreadyExistsError",
    "AggregateNotFoundError",
    "AsyncInMemoryRepository",
    "AsyncMessageBus",
    "AsyncRepository",
    "ConcurrencyError",
    "ConfigurationError",
    "Decider",
    "DuplicateHandlerError",
    "DuplicateMessageTypeError",
    "FrozenDict",
    "HandlerColourError",
    "HandlerNotFoundError",
    "Handlers",
    "ImmutableObjectError",
    "InMemoryDatabase",
    "InMemoryRepository",
    "InvalidMessageError",
    "JsonCodec",
    "MessageBus",
    "MessageContext",
    "MessageDecodeError",
    "MessageEncodeError",
    "MissingExtraError",
    "MissingIdentityError",
    "Predicate",
    "Repository",
    "SerializationError",
    "Specification",
    "TacticaError",
    "TypeRegistry",
    "UnknownMessageTypeError",
    "UnreadableEventError",
    "UpcastError",
    "Upcasters",
    "current_message_context",
    "decide_and_evolve",
    "fold",
    "message_context",
    "uuid7",
]

_HOMES = {
    "AsyncInMemoryRepository": "tactica.stores.memory",
    "AsyncMessageBus": "tactica.messaging",
    "AsyncRepository": "tactica.ports",
    "Decider": "tactica.domain.decider",
    "FrozenDict": "tactica.domain.frozendict",
    "Handlers": "tactica.messaging",
    "InMemoryDatabase": "tactica.stores.memory",
    "InMemoryRepository": "tactica.stores.memory",
    "JsonCodec": "tactica.codec",
    "MessageBus": "tactica.messaging",
    "MessageContext": "tactica.domain.context",
    "Predicate": "tactica.domain.specification",
    "Repository": "tactica.ports",
    "Specification": "tactica.domain.specification",
    "TypeRegistry": "tactica.codec",
    "Upcasters": "tactica.codec",
    "current_message_context": "tactica.domain.context",
    "decide_and_evolve": "tactica.domain.decider",
    "fold": "tactica.domain.decider",
    "message_context": "tactica.domain.context",
    "uuid7": "tactica.domain.ids",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        msg = f"module 'tactica' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
