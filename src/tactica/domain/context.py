"""The message context: which message is being handled right now.

The buses set it while a handler runs; events and messages created inside the handler read
it to fill their ``correlation_id`` and ``causation_id``, so nothing ever needs stamping.
Outside a bus (scripts, tests, consumers of a foreign broker) set it by hand with
`message_context`.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID

__all__ = [
    "DECODING",
    "DECODING_CONTEXT",
    "MESSAGE_CONTEXT",
    "MessageContext",
    "context_for",
    "current_causation_id",
    "current_correlation_id",
    "current_message_context",
    "decoding",
    "message_context",
]


@dataclass(frozen=True, slots=True)
class MessageContext:
    """The ids a newly created message or event inherits.

    ``correlation_id`` groups every message of one business transaction; ``causation_id``
    is the id of the message whose handling created the new one.
    """

    correlation_id: UUID | None = None
    causation_id: UUID | None = None


_EMPTY = MessageContext()
_current: ContextVar[MessageContext] = ContextVar("tactica_message_context", default=_EMPTY)

# Codecs set this context while they decode (directly on the variable: it is a hot path). It
# is empty, so context-derived ids stay None, and told apart from `_EMPTY` by identity, so
# identity defaults refuse to invent values. A decoded event keeps the ids it was stored
# with; it must not pick up the context of whoever happens to be reading it.
DECODING = _current
DECODING_CONTEXT = MessageContext()

# The buses set the context around each handler directly on the variable (a hot path too).
MESSAGE_CONTEXT = _current


def decoding() -> bool:
    """Return whether a codec is decoding in this task or thread right now."""
    return _current.get() is DECODING_CONTEXT


def context_for(message: object) -> MessageContext:
    """Return the context a handler of `message` runs in: its correlation, caused by it.

    A message that starts a chain (no correlation id of its own) correlates by its own id.
    """
    message_id = getattr(message, "message_id", None) or getattr(message, "event_id", None)
    correlation_id = getattr(message, "correlation_id", None) or message_id
    return MessageContext(correlation_id=correlation_id, causation_id=message_id)


def current_message_context() -> MessageContext:
    """Return the context in force in this task or thread (empty when none was set)."""
    return _current.get()


def current_correlation_id() -> UUID | None:
    """Return the correlation id in force, used as a field default factory."""
    return _current.get().correlation_id


def current_causation_id() -> UUID | None:
    """Return the causation id in force, used as a field default factory."""
    return _current.get().causation_id


@contextmanager
def message_context(
    *, correlation_id: UUID | None = None, causation_id: UUID | None = None
) -> Generator[MessageContext, None, None]:
    """Make messages and events created inside the block carry these ids.

    Contexts nest and are restored on exit, also on error. The value lives in a
    `contextvars.ContextVar`, so concurrent asyncio tasks and threads each see their own.

    Examples:
        >>> from tactica import message_context, uuid7
        >>> with message_context(correlation_id=uuid7(), causation_id=None) as ctx:
        ...     ctx.causation_id is None
        True
    """
    context = MessageContext(correlation_id=correlation_id, causation_id=causation_id)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
