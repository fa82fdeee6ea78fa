"""The envelope every event carries: its id and time, never invented for stored data.

Construction fills ``event_id`` and ``occurred_at``; decoding must find them in the
document. While a codec decodes (see `tactica.domain.context.decoding`), the defaults give
`ABSENT` instead, and `checked_occurred_at`, run after every construction and decode,
turns that into `MissingOnDecodeError`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from tactica.domain.context import DECODING, DECODING_CONTEXT
from tactica.domain.ids import uuid7
from tactica.errors import InvalidMessageError, MessageDecodeError

__all__ = [
    "ABSENT",
    "MissingOnDecodeError",
    "checked_occurred_at",
    "new_event_id",
    "new_message_id",
    "refuse_absent_message_id",
    "utc_now",
]


class MissingOnDecodeError(Exception):
    """A field that identifies stored data was absent from a document being decoded.

    Raised instead of inventing a value, so a decoded event or entity never gets a fresh id
    or timestamp; the codec turns it into `MessageDecodeError`.
    """

    def __init__(self, field: str) -> None:
        """Name the missing `field`."""
        super().__init__(field)
        self.field = field

    def to_decode_error(self, type_name: str) -> MessageDecodeError:
        """Return the `MessageDecodeError` that reports this to the caller."""
        return MessageDecodeError(type_name, "a required field is missing", f"$.{self.field}")


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
    if DECODING.get() is DECODING_CONTEXT:
        return ABSENT  # type: ignore[no-any-return]
    return uuid7()


def new_message_id() -> UUID:
    """Return a fresh command or query id (the default of ``message_id``); `ABSENT` if decoding."""
    if DECODING.get() is DECODING_CONTEXT:
        return ABSENT  # type: ignore[no-any-return]
    return uuid7()


def refuse_absent_message_id(message_id: object) -> None:
    """Raise `MissingOnDecodeError` if a decoded command or query had no ``message_id``."""
    if message_id is ABSENT:
        raise MissingOnDecodeError("message_id")


def utc_now() -> datetime:
    """Return the aware current time (the default of ``occurred_at``); `ABSENT` if decoding."""
    if DECODING.get() is DECODING_CONTEXT:
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
