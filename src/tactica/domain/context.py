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
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from tactica.domain.ids import uuid7
from tactica.errors import InvalidMessageError, MessageDecodeError

__all__ = ["MessageContext", "current_message_context", "message_context"]


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
_DECODING = DECODING_CONTEXT


class MissingOnDecodeError(Exception):
    """A field that identifies stored data was absent from a document being decoded.

    Raised by the default factories below instead of inventing a value, so a decoded event
    never gets a fresh id or timestamp; the codec turns it into `MessageDecodeError`.
    """

    def __init__(self, field: str) -> None:
        """Name the missing `field`."""
        super().__init__(field)
        self.field = field

    def to_decode_error(self, type_name: str) -> MessageDecodeError:
        """Return the `MessageDecodeError` that reports this to the caller."""
        return MessageDecodeError(type_name, "a required field is missing", f"$.{self.field}")


def decoding() -> bool:
    """Return whether a codec is decoding in this task or thread right now."""
    return _current.get() is _DECODING


class _Absent:
    __slots__ = ()
    tzinfo = None  # lets the events' fast UTC check fall through to the full one

    def __repr__(self) -> str:
        return "<absent from the decoded document>"


# What the identity defaults give while decoding. The event's post-construction hook turns
# it into `MissingOnDecodeError`; raising from the default factory itself would hide the
# errors pydantic collects for the fields that follow.
ABSENT: Any = _Absent()


def new_event_id() -> UUID:
    """Return a fresh event id (the default factory of ``event_id``); `ABSENT` if decoding."""
    if _current.get() is _DECODING:
        return ABSENT  # type: ignore[no-any-return]
    return uuid7()


def utc_now() -> datetime:
    """Return the aware current time (the default of ``occurred_at``); `ABSENT` if decoding."""
    if _current.get() is _DECODING:
        return ABSENT  # type: ignore[no-any-return]
    return datetime.now(UTC)


def checked_occurred_at(event: _Envelope) -> datetime:
    """Return the event's ``occurred_at`` in UTC, refusing absent identity and naive times.

    Runs after every construction and decode of an event, in both flavours.
    """
    occurred_at = event.occurred_at
    if occurred_at is ABSENT or event.event_id is ABSENT:
        raise MissingOnDecodeError("occurred_at" if event.event_id is not ABSENT else "event_id")
    # The identity test is the fast path: msgspec and utc_now() both produce UTC itself.
    tzinfo = occurred_at.tzinfo
    if tzinfo is UTC:
        return occurred_at
    # A fixed-offset zone answers without a datetime, far faster (pydantic's own TzInfo, for
    # one); zones whose offset varies answer None here and are asked properly below.
    if tzinfo is not None and tzinfo.utcoffset(None) == _ZERO:
        return occurred_at
    offset = occurred_at.utcoffset()
    if offset is None:
        msg = (
            f"{type(event).__qualname__}.occurred_at must be timezone-aware; use datetime.now(UTC)"
        )
        raise InvalidMessageError(msg)
    return occurred_at.astimezone(UTC)


_ZERO = timedelta(0)


class _Envelope(Protocol):
    @property
    def event_id(self) -> UUID: ...
    @property
    def occurred_at(self) -> datetime: ...


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
