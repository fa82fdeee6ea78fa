"""What an event store stores and answers, as plain records, and the checks every append passes.

PURE: the backends share these checks, so bad input is refused the same way everywhere and
before anything is written (GUARANTEES.md §8).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, cast
from uuid import UUID

import msgspec

from tactica.errors import DuplicateEventError, InvalidAppendError, PayloadTooLargeError
from tactica.ports._checks import (
    MAX_INT32,
    MAX_JSON_DEPTH,
    int_problem,
    json_problem,
    name_problem,
    shown,
    utc_instant,
    uuid_problem,
)

__all__ = [
    "ANY",
    "MAX_EVENT_BYTES",
    "MAX_SNAPSHOT_BYTES",
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
    "checked_appends",
    "checked_checkpoint",
    "checked_snapshot",
    "expectation_met",
    "valid_type_name",
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
MAX_SNAPSHOT_BYTES = 64 * 1_048_576
_JSON = msgspec.json.Decoder()
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:/\-\[\], ]{0,199}")


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


def valid_type_name(type_name: object) -> bool:
    """Return whether `type_name` can be a registered type name, as stored with an event."""
    return type(type_name) is str and _TYPE_NAME.fullmatch(type_name) is not None


def _refuse(stream_id: object, reason: str) -> InvalidAppendError:
    return InvalidAppendError(f"cannot append to stream {shown(stream_id)}: {reason}")


def _too_large(stream_id: object, what: str, size: int, limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"cannot append to stream {shown(stream_id)}: {what} has {size} bytes, more than "
        f"{limit}; split it into smaller events, or store large data elsewhere and refer to it"
    )


def _check_stream_id(stream_id: object) -> str:
    problem = name_problem(stream_id, max_length=MAX_STREAM_ID_LENGTH)
    if problem is not None:
        raise _refuse(stream_id, f"the stream id {problem}")
    return cast("str", stream_id)


def _check_expected(stream_id: str, expected: object) -> Expected:
    if isinstance(expected, ExpectedState):
        return expected
    problem = int_problem(expected, 0)
    if problem is not None:
        msg = f"expected_version (an int >= 0, or ANY/NO_STREAM/STREAM_EXISTS) {problem}"
        raise _refuse(stream_id, msg)
    return cast("int", expected)


def _plain_object(document: object, max_bytes: int) -> bool:
    """Return whether `document` is, cheaply seen, a small, shallow JSON object."""
    if type(document) is not bytes:
        return False
    if document == b"{}":
        return True
    if (
        len(document) > max_bytes
        or document[:1] != b"{"
        or document.count(b"[") + document.count(b"{") > MAX_JSON_DEPTH
    ):
        return False
    try:
        _JSON.decode(document)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
    return True


def _check_event(stream_id: str, index: int, event: object, max_bytes: int) -> NewEvent:
    # Appends check every event: the usual one (tactica's own encoding, UTC, UUIDs) passes
    # these cheap tests; anything else goes through the checks that say what is wrong.
    if type(event) is NewEvent:
        fields = cast("Any", event)
        event_id, correlation, causation = (
            fields.event_id,
            fields.correlation_id,
            fields.causation_id,
        )
        if (
            type(event_id) is UUID
            and event_id.int
            and (correlation is None or type(correlation) is UUID)
            and (causation is None or type(causation) is UUID)
            and type(fields.occurred_at) is datetime
            and fields.occurred_at.tzinfo is UTC
            and type(fields.schema_version) is int
            and 0 < fields.schema_version <= MAX_INT32
            and valid_type_name(fields.type_name)
            and _plain_object(fields.payload, max_bytes)
            and _plain_object(fields.metadata, max_bytes)
        ):
            return event
    return _checked_event(stream_id, index, event, max_bytes)


def _checked_event(stream_id: str, index: int, event: object, max_bytes: int) -> NewEvent:
    where = f"event {index}"
    if not isinstance(event, NewEvent):
        raise _refuse(stream_id, f"{where} is a {type(event).__name__}, not a NewEvent")
    if not valid_type_name(event.type_name):
        raise _refuse(stream_id, f"{where} has an invalid type name {shown(event.type_name)}")
    problem = int_problem(event.schema_version, 1, MAX_INT32)
    if problem is not None:
        raise _refuse(stream_id, f"{where}'s schema version {problem}")
    # The port takes records from any caller, typed or not: check what the types only promise.
    fields = cast("Any", event)
    problem = uuid_problem(fields.event_id, nil=False)
    if problem is not None:
        raise _refuse(stream_id, f"{where}'s event id {problem} (not a UUID)")
    for name in ("correlation_id", "causation_id"):
        problem = uuid_problem(getattr(fields, name), optional=True)
        if problem is not None:
            raise _refuse(stream_id, f"{where}'s {name} {problem}, or None")
    occurred_at = utc_instant(fields.occurred_at)
    if isinstance(occurred_at, str):
        raise _refuse(stream_id, f"{where} needs an aware occurred_at datetime: {occurred_at}")
    _check_document(stream_id, f"{where}'s payload", event.payload, max_bytes)
    _check_document(stream_id, f"{where}'s metadata", event.metadata, max_bytes)
    event_id = fields.event_id
    if type(event_id) is not UUID:
        event_id = UUID(int=event_id.int)
    if occurred_at is event.occurred_at and event_id is event.event_id:
        return event
    return msgspec.structs.replace(event, occurred_at=occurred_at, event_id=event_id)


def _check_document(stream_id: str, what: str, document: object, max_bytes: int) -> None:
    if type(document) is bytes and len(document) > max_bytes:
        raise _too_large(stream_id, what, len(document), max_bytes)
    problem = json_problem(document)
    if problem is not None:
        raise _refuse(stream_id, f"{what} {problem}")


def checked_append(
    stream_id: object,
    events: object,
    expected: object,
    *,
    max_bytes: int = MAX_EVENT_BYTES,
) -> tuple[str, tuple[NewEvent, ...], Expected]:
    """Return the append's parts once they are valid; raise `InvalidAppendError` otherwise.

    Times come back normalised to UTC, so that every backend stores and returns the same
    instant the same way.
    """
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


def checked_appends(
    appends: object, *, max_bytes: int = MAX_EVENT_BYTES
) -> list[tuple[str, tuple[NewEvent, ...], Expected]]:
    """Return a commit's appends once every one is valid; raise `InvalidAppendError` otherwise.

    An event id may appear once in a commit: twice, even in two streams, is refused.
    """
    if not isinstance(appends, Sequence) or isinstance(appends, str | bytes):
        msg = f"a commit takes a sequence of StreamAppend, not {type(appends).__name__}"
        raise InvalidAppendError(msg)
    parts = cast("Sequence[object]", appends)
    checked: list[tuple[str, tuple[NewEvent, ...], Expected]] = []
    for index, part in enumerate(parts):
        if not isinstance(part, StreamAppend):
            msg = f"part {index} of the commit is a {type(part).__name__}, not a StreamAppend"
            raise InvalidAppendError(msg)
        checked.append(
            checked_append(part.stream_id, part.events, part.expected_version, max_bytes=max_bytes)
        )
    if len(checked) > 1:
        ids = [event.event_id for _, events, _ in checked for event in events]
        if len(set(ids)) != len(ids):
            msg = (
                "cannot commit: the same event id appears in two appends of one commit; "
                "give every event its own id"
            )
            raise InvalidAppendError(msg)
    return checked


def checked_snapshot(snapshot: object, *, max_bytes: int = MAX_SNAPSHOT_BYTES) -> Snapshot:
    """Return `snapshot` once it is valid; raise `InvalidAppendError` otherwise."""
    if not isinstance(snapshot, Snapshot):
        msg = f"save_snapshot takes a Snapshot, not {type(snapshot).__name__} {shown(snapshot)}"
        raise InvalidAppendError(msg)
    problems = {
        "stream id": name_problem(snapshot.stream_id, max_length=MAX_STREAM_ID_LENGTH),
        "version": int_problem(snapshot.version, 1),
        "type name": name_problem(snapshot.type_name),
        "schema version": int_problem(snapshot.schema_version, 1, MAX_INT32),
    }
    for what, problem in problems.items():
        if problem is not None:
            msg = f"cannot save the snapshot of {shown(snapshot.stream_id)}: its {what} {problem}"
            raise InvalidAppendError(msg)
    state = cast("object", snapshot.state)
    if type(state) is bytes and len(state) > max_bytes:
        msg = (
            f"cannot save the snapshot of {snapshot.stream_id!r}: its state has {len(state)} "
            f"bytes, more than {max_bytes}; snapshot less often state that large, or not at all"
        )
        raise PayloadTooLargeError(msg)
    problem = json_problem(state)
    if problem is not None:
        msg = f"cannot save the snapshot of {snapshot.stream_id!r}: its state {problem}"
        raise InvalidAppendError(msg)
    return snapshot


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
    given: object = checkpoint  # quoted back as given, whatever isinstance learns below
    pair = cast("tuple[object, ...]", checkpoint) if isinstance(checkpoint, tuple) else ()
    if len(pair) != 2:  # noqa: PLR2004 - a pair
        msg = f"a checkpoint is a (name, position) pair, not {shown(given)}"
        raise InvalidAppendError(msg)
    name, position = pair
    problem = name_problem(name, max_length=MAX_STREAM_ID_LENGTH)
    if problem is not None:
        msg = f"a checkpoint's name {problem}: {shown(name)}"
        raise InvalidAppendError(msg)
    problem = int_problem(position, 0)
    if problem is not None:
        msg = f"the position of checkpoint {name!r} {problem}"
        raise InvalidAppendError(msg)
    return cast("str", name), cast("int", position)
