"""What an event store stores and answers, as plain records, and the checks every append passes.

PURE: the backends share these checks, so bad input is refused the same way everywhere and
before anything is written (GUARANTEES.md §8).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import cast
from uuid import UUID

import msgspec

from tactica.errors import DuplicateEventError, InvalidAppendError

__all__ = [
    "ANY",
    "MAX_EVENT_BYTES",
    "MAX_STREAM_ID_LENGTH",
    "NO_STREAM",
    "STREAM_EXISTS",
    "AppendResult",
    "Expected",
    "ExpectedState",
    "NewEvent",
    "RecordedEvent",
    "Snapshot",
    "StreamAppend",
    "already_appended",
    "checked_append",
    "checked_checkpoint",
    "expectation_met",
]


class ExpectedState(Enum):
    """What an append may expect of a stream instead of an exact version."""

    ANY = "ANY"
    """No check: append whatever the stream holds."""
    NO_STREAM = "NO_STREAM"
    """The stream must not exist yet (the same as expecting version 0)."""
    STREAM_EXISTS = "STREAM_EXISTS"
    """The stream must hold at least one event."""

    def __repr__(self) -> str:
        """Show the name alone, as it is imported."""
        return self.value


ANY = ExpectedState.ANY
NO_STREAM = ExpectedState.NO_STREAM
STREAM_EXISTS = ExpectedState.STREAM_EXISTS

Expected = int | ExpectedState
"""An append's expectation: the stream's exact version (0: absent), or an `ExpectedState`."""

MAX_STREAM_ID_LENGTH = 255
MAX_EVENT_BYTES = 1_048_576
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:/\-\[\], ]{0,199}$")
_JSON = msgspec.json.Decoder()


class NewEvent(msgspec.Struct, frozen=True, gc=False):
    """An event to append: its registered type name, schema version and JSON payload."""

    type_name: str
    payload: bytes
    event_id: UUID
    occurred_at: datetime
    schema_version: int = 1
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    metadata: bytes = b"{}"


class RecordedEvent(msgspec.Struct, frozen=True, gc=False):
    """A stored event: a `NewEvent` plus where it sits (stream version, global position)."""

    stream_id: str
    stream_version: int
    position: int
    type_name: str
    schema_version: int
    event_id: UUID
    payload: bytes
    metadata: bytes
    occurred_at: datetime
    recorded_at: datetime
    correlation_id: UUID | None
    causation_id: UUID | None


class AppendResult(msgspec.Struct, frozen=True, gc=False):
    """Where an append left its stream: its new version and the last event's position.

    ``already_appended`` is true when the very same events were stored before (a retry
    after an unknown outcome); nothing was written this time.
    """

    stream_id: str
    stream_version: int
    position: int
    already_appended: bool = False


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    """An aggregate's encoded state at a stream version, to load it without a full replay.

    ``schema_version`` is the aggregate class's ``snapshot_version`` when it was taken; a
    snapshot of another version is ignored on load, never misread.
    """

    stream_id: str
    version: int
    type_name: str
    schema_version: int
    state: bytes


class StreamAppend(msgspec.Struct, frozen=True):
    """One stream's part of a multi-stream commit."""

    stream_id: str
    events: Sequence[NewEvent]
    expected_version: Expected = ANY


_SHOWN = 80  # characters of a stream id quoted back; it may be long or hostile


def _refuse(stream_id: object, reason: str) -> InvalidAppendError:
    shown = repr(stream_id)
    shown = shown if len(shown) <= _SHOWN else f"{shown[: _SHOWN - 3]}..."
    return InvalidAppendError(f"cannot append to stream {shown}: {reason}")


def _check_stream_id(stream_id: object) -> str:
    if type(stream_id) is not str:
        raise _refuse(stream_id, f"a stream id is a str, not {type(stream_id).__name__}")
    if not stream_id:
        raise _refuse(stream_id, "the stream id is empty")
    if len(stream_id) > MAX_STREAM_ID_LENGTH:
        msg = f"the stream id has {len(stream_id)} characters, more than {MAX_STREAM_ID_LENGTH}"
        raise _refuse(stream_id, msg)
    if _CONTROL.search(stream_id):
        raise _refuse(stream_id, "the stream id contains a control character")
    return stream_id


def _check_expected(stream_id: str, expected: object) -> Expected:
    if isinstance(expected, ExpectedState):
        return expected
    if type(expected) is not int:
        msg = (
            f"expected_version must be an int or ANY/NO_STREAM/STREAM_EXISTS, not "
            f"{type(expected).__name__} {expected!r}"
        )
        raise _refuse(stream_id, msg)
    if expected < 0:
        raise _refuse(stream_id, f"expected_version cannot be negative ({expected})")
    return expected


def _check_event(stream_id: str, index: int, event: object, max_bytes: int) -> NewEvent:
    where = f"event {index}"
    if not isinstance(event, NewEvent):
        raise _refuse(stream_id, f"{where} is a {type(event).__name__}, not a NewEvent")
    if type(event.type_name) is not str or not _TYPE_NAME.match(event.type_name):
        raise _refuse(stream_id, f"{where} has an invalid type name {event.type_name!r}")
    version = event.schema_version
    if type(version) is not int or version < 1:
        raise _refuse(stream_id, f"{where} has schema version {version!r}; use an int >= 1")
    # The port takes bytes from any caller, typed or not: check what the types only promise.
    event_id = cast("object", event.event_id)
    occurred_at = cast("object", event.occurred_at)
    if not isinstance(event_id, UUID):
        raise _refuse(stream_id, f"{where} has an event id that is not a UUID")
    if not isinstance(occurred_at, datetime) or occurred_at.utcoffset() is None:
        raise _refuse(stream_id, f"{where} needs an aware occurred_at datetime (UTC)")
    _check_document(stream_id, f"{where}'s payload", event.payload, max_bytes)
    _check_document(stream_id, f"{where}'s metadata", event.metadata, max_bytes)
    return event


def _check_document(stream_id: str, what: str, document: object, max_bytes: int) -> None:
    if type(document) is not bytes:
        raise _refuse(stream_id, f"{what} must be JSON bytes")
    if len(document) > max_bytes:
        raise _refuse(stream_id, f"{what} has {len(document)} bytes, more than {max_bytes}")
    try:
        parsed = _JSON.decode(document)
    except msgspec.DecodeError:
        msg = f"{what} is not a JSON document (tactica stores JSON only)"
        raise _refuse(stream_id, msg) from None
    if not isinstance(parsed, dict):
        raise _refuse(stream_id, f"{what} must be a JSON object")


def checked_append(
    stream_id: object,
    events: object,
    expected: object,
    *,
    max_bytes: int = MAX_EVENT_BYTES,
) -> tuple[str, tuple[NewEvent, ...], Expected]:
    """Return the append's parts once they are valid; raise `InvalidAppendError` otherwise."""
    checked_id = _check_stream_id(stream_id)
    checked_expected = _check_expected(checked_id, expected)
    if not isinstance(events, Sequence) or isinstance(events, str | bytes):
        raise _refuse(checked_id, "events must be a sequence of NewEvent")
    items = cast("Sequence[object]", events)
    if not items:
        raise _refuse(checked_id, "there are no events to append")
    checked = tuple(
        _check_event(checked_id, index, event, max_bytes) for index, event in enumerate(items)
    )
    ids = [event.event_id for event in checked]
    if len(set(ids)) != len(ids):
        raise _refuse(checked_id, "the same event id appears twice in one append")
    return checked_id, checked, checked_expected


def _same(new: NewEvent, stored: RecordedEvent) -> bool:
    return (
        new.type_name == stored.type_name
        and new.schema_version == stored.schema_version
        and new.payload == stored.payload
        and new.metadata == stored.metadata
        and new.occurred_at == stored.occurred_at
        and new.correlation_id == stored.correlation_id
        and new.causation_id == stored.causation_id
    )


def already_appended(
    stream_id: str, events: Sequence[NewEvent], stored: Sequence[RecordedEvent]
) -> AppendResult | None:
    """Say whether `events` were stored before, given the `stored` events with their ids.

    ``None``: none of them is stored, so append them. A result: every one is stored, in
    this stream, in this order, with this content (a retry), so append nothing. Anything
    else reuses event ids for other events: `DuplicateEventError`.
    """
    if not stored:
        return None
    by_id = {event.event_id: event for event in stored}
    found = [by_id.get(event.event_id) for event in events]
    first = found[0]
    retry = first is not None and all(
        match is not None
        and match.stream_id == stream_id
        and match.stream_version == first.stream_version + offset
        and _same(event, match)
        for offset, (event, match) in enumerate(zip(events, found, strict=True))
    )
    if retry:
        last = found[-1]
        assert last is not None
        return AppendResult(stream_id, last.stream_version, last.position, already_appended=True)
    reused = ", ".join(str(event.event_id) for event in stored)
    msg = (
        f"cannot append to stream {stream_id!r}: event id(s) {reused} are already stored for "
        "other events (or elsewhere); give every new event a new id, and retry an append "
        "only with the very same events"
    )
    raise DuplicateEventError(msg)


def expectation_met(expected: Expected, current: int) -> bool:
    """Return whether a stream at version `current` (0: absent) meets `expected`."""
    if expected is ANY:
        return True
    if expected is NO_STREAM:
        return current == 0
    if expected is STREAM_EXISTS:
        return current > 0
    return expected == current


def checked_checkpoint(checkpoint: object) -> tuple[str, int] | None:
    """Return a commit's checkpoint (name, position) once valid; raise otherwise."""
    if checkpoint is None:
        return None
    pair = cast("tuple[object, ...]", checkpoint) if isinstance(checkpoint, tuple) else ()
    name, position = pair if len(pair) == 2 else ("", -1)  # noqa: PLR2004 - a pair
    if type(name) is not str or not name or type(position) is not int or position < 0:
        msg = (
            "a checkpoint is (name, position), a non-empty name and a position >= 0, "
            f"not {checkpoint!r}"
        )
        raise InvalidAppendError(msg)
    return name, position
