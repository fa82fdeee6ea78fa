"""tactica: Domain-Driven Design, CQRS and event sourcing building blocks, sync and async.

This module re-exports the flavour-neutral names. Domain classes come in two flavours
with the same names and behaviour: `tactica.dataclasses` (standard-library dataclasses)
and `tactica.pydantic` (pydantic v2 models, extra ``pydantic``).
"""

from tactica.codec import JsonCodec, TypeRegistry, Upcasters
from tactica.domain.context import MessageContext, current_message_context, message_context
from tactica.domain.decider import Decider, decide_and_evolve, fold
from tactica.domain.frozendict import FrozenDict
from tactica.domain.ids import uuid7
from tactica.domain.specification import Predicate, Specification
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
from tactica.messaging import AsyncMessageBus, Handlers, MessageBus
from tactica.ports import AsyncRepository, Repository
from tactica.stores.memory import AsyncInMemoryRepository, InMemoryDatabase, InMemoryRepository

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
