# Generated from _event_store_inputs_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The event-store contract's bad-input and boundary behaviours (sync colour).

Part of `EventStoreContract`: every store refuses the same inputs with a typed error
before anything is written, accepts the boundary values and reads them back equal
(GUARANTEES.md G21), and reads "after X" as strictly after X for any X (G22).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any, cast
from uuid import UUID

import pytest

from tactica.domain.ids import uuid7
from tactica.errors import (
    InvalidAppendError,
    InvalidArgumentError,
    InvalidReadError,
    PayloadTooLargeError,
    WrongExpectedVersionError,
)
from tactica.ports._events import NO_STREAM, Snapshot, StreamAppend
from tactica.testing._new_events import new_event, new_events, outbox_message

__all__ = ["EventStoreInputContract"]

MAX_INT64 = 2**63 - 1
MAX_INT32 = 2**31 - 1


class _Unreadable(tzinfo):
    """A time zone whose offset cannot be had: hostile input, not a real zone."""

    def utcoffset(self, _dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset")

    def dst(self, _dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset")

    def tzname(self, _dt: datetime | None) -> str:
        return "unreadable"


def _nested(depth: int) -> bytes:
    return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


_BAD_EVENT_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"correlation_id": "not-a-uuid"}, "correlation_id"),
    ({"correlation_id": 12}, "correlation_id"),
    ({"causation_id": str(uuid7())}, "causation_id"),
    ({"causation_id": b"0" * 16}, "causation_id"),
    ({"event_id": UUID(int=0)}, "nil UUID"),
    ({"event_id": str(uuid7())}, "not a UUID"),
    ({"event_id": None}, "not a UUID"),
    ({"occurred_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))}, "years 1 to 9999"),
    (
        {"occurred_at": datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14)))},
        "years 1 to 9999",
    ),
    ({"occurred_at": date(2026, 1, 1)}, "aware"),
    ({"occurred_at": "2026-01-01T00:00:00+00:00"}, "aware"),
    ({"occurred_at": datetime(2026, 1, 1, tzinfo=_Unreadable())}, "time zone"),
    ({"schema_version": MAX_INT32 + 1}, "schema version"),
    ({"schema_version": 2**63}, "schema version"),
    ({"schema_version": -1}, "schema version"),
    ({"schema_version": 1.0}, "schema version"),
    ({"payload": b'{"a":"\xff"}'}, "UTF-8"),
    ({"payload": b'{"a":"\xed\xa0\x80"}'}, "UTF-8"),
    ({"payload": b'{"a":"\\ud800"}'}, "not a JSON document"),
    ({"payload": b""}, "not a JSON document"),
    ({"payload": b'{"a":NaN}'}, "not a JSON document"),
    ({"payload": b'{"a":1e999}'}, "not a JSON document"),
    ({"payload": b'{"a":' + b"9" * 5000 + b"}"}, "not a JSON document"),
    ({"payload": b'"text"'}, "JSON object"),
    ({"payload": b"null"}, "JSON object"),
    ({"payload": bytearray(b"{}")}, "JSON bytes"),
    ({"payload": _nested(1_000)}, "nested"),
    ({"payload": _nested(100_000)}, "nested"),
    ({"metadata": _nested(1_000)}, "nested"),
    ({"metadata": b'{"a":"\xff"}'}, "UTF-8"),
    ({"metadata": "{}"}, "JSON bytes"),
    ({"type_name": "x\n"}, "invalid type name"),
    ({"type_name": "x\x00y"}, "invalid type name"),
    ({"type_name": "é"}, "invalid type name"),
    ({"type_name": 7}, "invalid type name"),
]

# Each cannot be a stored name: the rule of every method that takes a stream id or a name.
_BAD_NAMES: list[object] = ["a\x00b", "bad-\ud800", "", "x" * 256, 123, b"s", None, "tab\there"]


# Each call makes a store method refuse its arguments: the store is the only argument.
_Call = Callable[[Any], Any]
_BAD_READ_CALLS: list[_Call] = [
    lambda store: store.read("s", from_version=2**63),
    lambda store: store.read("s", to_version=2**63),
    lambda store: store.read("s", limit=2**70),
    lambda store: store.read("s", backwards="yes"),
    lambda store: store.read_all(after=2**63),
    lambda store: store.read_all(limit=2**63),
    lambda store: store.read_all(after=True),
]
_BAD_WRITE_CALLS: list[_Call] = [
    lambda store: store.append("s", new_events(1), 2**63),
    lambda store: store.commit([StreamAppend("s", new_events(1))], checkpoint=("c", 2**63)),
    lambda store: store.commit([StreamAppend("s", new_events(1))], checkpoint=("c", -1)),
    lambda store: store.commit([StreamAppend("s", new_events(1))], checkpoint=("c", True)),
    lambda store: store.commit([StreamAppend("s", new_events(1))], checkpoint=("c",)),
    lambda store: store.commit([StreamAppend("s", new_events(1))], checkpoint="c"),
    lambda store: store.commit(None),
    lambda store: store.commit([1]),
    lambda store: store.commit("ab"),
    lambda store: store.commit([StreamAppend("s", cast("Any", "not events"))]),
    lambda store: store.commit([StreamAppend("s", new_events(1))], outbox=[1]),
    lambda store: store.commit([StreamAppend("s", new_events(1))], outbox=None),
    lambda store: store.save_snapshot("x"),
    lambda store: store.save_snapshot(None),
    lambda store: store.save_snapshot(Snapshot("s", 0, "t:T", 1, b"{}")),
    lambda store: store.save_snapshot(Snapshot("s", 2**63, "t:T", 1, b"{}")),
    lambda store: store.save_snapshot(Snapshot("s", 1, "t:T", MAX_INT32 + 1, b"{}")),
    lambda store: store.save_snapshot(Snapshot("s", 1, "", 1, b"{}")),
    lambda store: store.save_snapshot(Snapshot("s", 1, "t:T", 1, b"not json")),
    lambda store: store.save_snapshot(Snapshot("s", 1, "t:T", 1, cast("Any", "{}"))),
    lambda store: store.save_snapshot(Snapshot("s", 1, "t:T", 1, _nested(1_000))),
]


class EventStoreInputContract:
    """Bad input refused before any write, boundary values read back equal, reads "after X".

    Uses the hooks of `EventStoreContract`, which includes these behaviours.
    """

    def new_store(self) -> Any:
        """Return a store on fresh, empty storage (the test's own)."""
        raise NotImplementedError

    @pytest.mark.parametrize(("fields", "complaint"), _BAD_EVENT_FIELDS)
    def test_an_event_no_backend_could_read_back_is_refused_before_any_write(
        self, fields: dict[str, Any], complaint: str
    ) -> None:
        """Bad ids, times outside 1-9999 UTC, huge versions, bad or deep JSON: refused."""
        store = self.new_store()
        store.append("kept", new_events(1))
        with pytest.raises(InvalidAppendError, match=complaint):
            store.append("s", [new_event(), new_event(**fields)])
        assert store.read("s") == []
        assert [e.stream_id for e in store.read_all()] == ["kept"]

    def test_boundary_values_are_accepted_and_read_back_equal(self) -> None:
        """Years 1 and 9999 in UTC, any offset, the largest versions, deep JSON: all equal."""
        store = self.new_store()
        stream = "ünïcødé-☃-" + "𝄞" * 240
        events = [
            new_event(occurred_at=datetime(1, 1, 1, tzinfo=UTC)),
            new_event(occurred_at=datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
            new_event(occurred_at=datetime(1, 1, 1, 14, tzinfo=timezone(timedelta(hours=14)))),
            new_event(occurred_at=datetime(2026, 5, 6, 7, 8, 9, 10, timezone(-timedelta(hours=9)))),
            new_event(schema_version=MAX_INT32, payload=_nested(128)),
            new_event(payload=b'{"big":' + str(2**70).encode() + b',"nul":"\\u0000"}'),
            new_event(metadata=b'{"k":"' + b"x" * 1_000_000 + b'"}'),
            new_event(payload=b'{"a":1,"a":2}', correlation_id=uuid7(), causation_id=uuid7()),
        ]
        store.append(stream, events, NO_STREAM)
        for read in (store.read(stream), store.read_all()):
            assert [e.event_id for e in read] == [e.event_id for e in events]
            for stored, sent in zip(read, events, strict=True):
                assert stored.occurred_at == sent.occurred_at
                assert stored.occurred_at.utcoffset() == timedelta(0)
                assert (stored.payload, stored.metadata) == (sent.payload, sent.metadata)
                assert (stored.schema_version, stored.type_name) == (
                    sent.schema_version,
                    sent.type_name,
                )
                assert (stored.correlation_id, stored.causation_id) == (
                    sent.correlation_id,
                    sent.causation_id,
                )
                assert stored.stream_id == stream

    @pytest.mark.parametrize("field", ["payload", "metadata"])
    def test_a_document_one_byte_over_the_limit_is_payload_too_large(
        self, field: str
    ) -> None:
        """Exactly at the limit is stored; one byte more is PayloadTooLargeError."""
        store = self.new_store()
        limit = store.max_event_bytes

        def document(size: int) -> bytes:
            return b'{"x":"' + b"y" * (size - 8) + b'"}'

        fits: dict[str, Any] = {field: document(limit)}
        too_large: dict[str, Any] = {field: document(limit + 1)}
        store.append("s", [new_event(**fits)])
        with pytest.raises(PayloadTooLargeError, match="more than"):
            store.append("s", [new_event(**too_large)])
        assert len(store.read("s")) == 1

    @pytest.mark.parametrize("name", _BAD_NAMES)
    def test_a_name_no_backend_can_store_is_refused_by_every_method(
        self, name: object
    ) -> None:
        """NUL, lone surrogates, control characters, empty, overlong or not a str: typed."""
        store = self.new_store()
        reads: list[Callable[[], Any]] = [
            lambda: store.read(name),
            lambda: store.stream_version(name),
            lambda: store.load_snapshot(name),
            lambda: store.checkpoint(name),
        ]
        for read in reads:
            with pytest.raises(InvalidReadError):
                read()
        writes: list[Callable[[], Any]] = [
            lambda: store.append(name, new_events(1)),
            lambda: store.save_snapshot(Snapshot(cast("Any", name), 1, "t:T", 1, b"{}")),
            lambda: store.commit([StreamAppend("s", new_events(1))], checkpoint=(name, 1)),
        ]
        for write in writes:
            with pytest.raises(InvalidAppendError):
                write()
        assert store.read_all() == []

    @pytest.mark.parametrize(
        "types", [["a\x00"], ["bad-\ud800"], [1], ["x\n"], [f"t{n}" for n in range(501)]]
    )
    def test_a_type_filter_with_names_that_cannot_be_stored_is_refused(
        self, types: list[object]
    ) -> None:
        """Type filters follow the type-name rule, and name at most 500 types."""
        store = self.new_store()
        with pytest.raises(InvalidReadError):
            store.read_all(types=types)

    def test_an_empty_type_filter_selects_nothing(self) -> None:
        """``types=[]`` asks for no type, so no event comes back (not every event)."""
        store = self.new_store()
        store.append("s", new_events(2))
        assert store.read_all(types=[]) == []
        assert store.read_all(types=set()) == []

    @pytest.mark.parametrize("call", _BAD_READ_CALLS)
    def test_a_read_argument_past_64_bits_or_of_the_wrong_type_is_refused(
        self, call: _Call
    ) -> None:
        """Every integer is bounded to 64 bits (bool is no int): InvalidReadError."""
        store = self.new_store()
        with pytest.raises(InvalidReadError):
            call(store)

    def test_the_largest_64_bit_arguments_are_accepted(self) -> None:
        """2**63 - 1 is a valid version, position, limit and checkpoint."""
        store = self.new_store()
        store.append("s", new_events(1))
        assert store.read("s", from_version=MAX_INT64, limit=MAX_INT64) == []
        assert store.read("s", to_version=MAX_INT64) != []
        assert store.read_all(after=MAX_INT64, limit=MAX_INT64) == []
        with pytest.raises(WrongExpectedVersionError):
            store.append("s", new_events(1), MAX_INT64)
        store.commit([StreamAppend("t", new_events(1))], checkpoint=("c", MAX_INT64))
        assert store.checkpoint("c") == MAX_INT64

    @pytest.mark.parametrize("call", _BAD_WRITE_CALLS)
    def test_a_write_with_arguments_of_the_wrong_shape_is_refused_before_any_write(
        self, call: _Call
    ) -> None:
        """None, ints, strings where records belong, bad checkpoints and snapshots: typed."""
        store = self.new_store()
        with pytest.raises(InvalidArgumentError):
            call(store)
        assert store.read_all() == []
        assert store.checkpoint("c") == 0
        assert store.load_snapshot("s") is None

    def test_one_event_id_in_two_streams_of_one_commit_is_refused(self) -> None:
        """An event id is stored once: twice in a commit, even in two streams, stores nothing."""
        store = self.new_store()
        event = new_event()
        with pytest.raises(InvalidAppendError, match="two appends"):
            store.commit([StreamAppend("a", [event]), StreamAppend("b", [event])])
        assert store.read_all() == []

    @pytest.mark.parametrize(
        "fields",
        [
            {"message_id": "not-a-uuid"},
            {"message_id": UUID(int=0)},
            {"type_name": "x\x00"},
            {"schema_version": 0},
            {"payload": b"not json"},
            {"payload": b'{"a":"\xff"}'},
            {"occurred_at": datetime(2026, 1, 1)},  # noqa: DTZ001 - naive on purpose
            {"occurred_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))},
            {"correlation_id": "x"},
        ],
    )
    def test_a_bad_outbox_message_is_refused_with_the_whole_commit(
        self, fields: dict[str, Any]
    ) -> None:
        """An outbox message no backend could store fails the commit; its events are absent."""
        store = self.new_store()
        with pytest.raises(InvalidAppendError):
            store.commit(
                [StreamAppend("s", new_events(1))], outbox=[outbox_message(**fields)]
            )
        assert store.read_all() == []

    def test_read_all_after_any_position_is_strictly_after_it(self) -> None:
        """For every X from 0 past the head: exactly the events with a position above X."""
        store = self.new_store()
        for stream, count in (("a", 2), ("b", 1), ("a", 3)):
            store.append(stream, new_events(count))
        everything = store.read_all()
        head = everything[-1].position
        for after in range(head + 4):
            expected = [e.event_id for e in everything if e.position > after]
            assert [e.event_id for e in store.read_all(after=after)] == expected, after
        past = head + 2
        later = new_events(4)
        store.append("c", later)
        positions = {e.event_id: e.position for e in store.read("c")}
        expected = [e.event_id for e in later if positions[e.event_id] > past]
        assert [e.event_id for e in store.read_all(after=past)] == expected
