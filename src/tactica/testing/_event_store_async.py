"""The event-store conformance contract (async colour).

Subclass `AsyncEventStoreContract` in a test module and implement `new_store` (fresh,
empty storage per test, in ``setup_method`` or a fixture) and `another_store` (a second
store on the same storage, as a second connection); pytest then runs every behaviour an
event store must have against your backend.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, ClassVar
from uuid import UUID

import pytest

from tactica.domain.ids import uuid7
from tactica.errors import (
    ConcurrencyError,
    DuplicateEventError,
    InvalidAppendError,
    InvalidReadError,
    WrongExpectedVersionError,
)
from tactica.ports._events import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    NewEvent,
    Snapshot,
    StreamAppend,
)
from tactica.testing._concurrency import AsyncBarrier, async_run_all
from tactica.testing._event_store_inputs_async import AsyncEventStoreInputContract
from tactica.testing._new_events import new_event, new_events, outbox_message

__all__ = ["AsyncEventStoreContract", "new_event"]


_outbox_message = outbox_message
_events = new_events


class AsyncEventStoreContract(AsyncEventStoreInputContract):
    """Behaviours every event store shares, as pytest tests.

    Hooks:
        `new_store` returns a store on fresh, empty storage; `another_store` a second
        store on the same storage (another connection or session).
    """

    concurrent_writers: ClassVar[int] = 4
    concurrent_rounds: ClassVar[int] = 10

    def new_store(self) -> Any:
        """Return a store on fresh, empty storage (the test's own)."""
        raise NotImplementedError

    def another_store(self) -> Any:
        """Return another store on the storage `new_store` made last."""
        raise NotImplementedError

    @pytest.mark.asyncio
    async def test_appended_events_read_back_exactly_with_versions_and_positions(self) -> None:
        """Every field of an appended event reads back unchanged, numbered from 1."""
        store = self.new_store()
        correlation, causation = uuid7(), uuid7()
        when = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2)))
        first = new_event(
            "bank.opened",
            b'{"owner":"Ada"}',
            occurred_at=when,
            schema_version=3,
            correlation_id=correlation,
            causation_id=causation,
            metadata=b'{"tenant":"t-1"}',
        )
        second = new_event("bank.deposited", b'{"amount":5}')
        result = await store.append("account-1", [first, second], NO_STREAM)
        assert (result.stream_id, result.stream_version, result.already_appended) == (
            "account-1",
            2,
            False,
        )
        read = await store.read("account-1")
        assert [e.stream_version for e in read] == [1, 2]
        assert read[1].position == result.position
        assert read[0].position < read[1].position
        stored = read[0]
        assert (stored.type_name, stored.payload, stored.metadata) == (
            "bank.opened",
            b'{"owner":"Ada"}',
            b'{"tenant":"t-1"}',
        )
        assert (stored.event_id, stored.schema_version) == (first.event_id, 3)
        assert isinstance(stored.event_id, UUID)
        assert stored.occurred_at == when
        assert (stored.correlation_id, stored.causation_id) == (correlation, causation)
        assert read[1].correlation_id is None
        assert stored.recorded_at.utcoffset() == timedelta(0)
        assert bytes(read[1].payload) == b'{"amount":5}'

    @pytest.mark.asyncio
    async def test_a_stream_reads_between_versions_backwards_and_with_a_limit(self) -> None:
        """Reads select versions inclusively, in either order, up to a limit."""
        store = self.new_store()
        await store.append("s", _events(5))

        async def versions(**options: Any) -> list[int]:
            return [event.stream_version for event in await store.read("s", **options)]

        assert await versions() == [1, 2, 3, 4, 5]
        assert await versions(from_version=2, to_version=4) == [2, 3, 4]
        assert await versions(backwards=True) == [5, 4, 3, 2, 1]
        assert await versions(backwards=True, limit=2) == [5, 4]
        assert await versions(from_version=3, limit=1) == [3]
        assert await versions(from_version=9) == []
        assert await store.read("never-written") == []
        assert await store.stream_version("s") == 5
        assert await store.stream_version("never-written") == 0

    @pytest.mark.asyncio
    async def test_read_all_follows_commit_order_across_streams_after_a_position(self) -> None:
        """The global read lists every stream's events in commit order, from a position."""
        store = self.new_store()
        await store.append("a", _events(2))
        await store.append("b", _events(1))
        await store.append("a", _events(1))
        everything = await store.read_all()
        assert [(e.stream_id, e.stream_version) for e in everything] == [
            ("a", 1),
            ("a", 2),
            ("b", 1),
            ("a", 3),
        ]
        positions = [event.position for event in everything]
        assert positions == sorted(positions)
        assert len(set(positions)) == 4
        later = await store.read_all(after=positions[1], limit=1)
        assert [(e.stream_id, e.stream_version) for e in later] == [("b", 1)]
        assert await store.read_all(after=positions[-1]) == []

    @pytest.mark.asyncio
    async def test_read_all_filters_by_type_name(self) -> None:
        """A type filter keeps only events of the listed type names, still in order."""
        store = self.new_store()
        await store.append("a", [new_event("x.opened"), new_event("x.noise")])
        await store.append("b", [new_event("x.noise"), new_event("x.closed")])
        kept = await store.read_all(types={"x.opened", "x.closed"})
        assert [(e.stream_id, e.type_name) for e in kept] == [
            ("a", "x.opened"),
            ("b", "x.closed"),
        ]

    @pytest.mark.asyncio
    async def test_an_exact_expected_version_must_match_and_a_miss_writes_nothing(self) -> None:
        """Appending at a stale version raises WrongExpectedVersionError and stores nothing."""
        store = self.new_store()
        await store.append("s", _events(2), 0)
        await store.append("s", _events(1), 2)
        with pytest.raises(WrongExpectedVersionError, match="at version 3") as raised:
            await store.append("s", _events(2), 2)
        assert isinstance(raised.value, ConcurrencyError)
        assert (raised.value.expected, raised.value.actual) == (2, 3)
        assert await store.stream_version("s") == 3
        assert len(await store.read_all()) == 3

    @pytest.mark.asyncio
    async def test_no_stream_stream_exists_and_any_check_what_they_say(self) -> None:
        """NO_STREAM needs an absent stream, STREAM_EXISTS a present one, ANY nothing."""
        store = self.new_store()
        with pytest.raises(WrongExpectedVersionError):
            await store.append("s", _events(1), STREAM_EXISTS)
        await store.append("s", _events(1), NO_STREAM)
        with pytest.raises(WrongExpectedVersionError):
            await store.append("s", _events(1), NO_STREAM)
        with pytest.raises(WrongExpectedVersionError):
            await store.append("s", _events(1), 0)
        await store.append("s", _events(1), STREAM_EXISTS)
        await store.append("s", _events(1), ANY)
        await store.append("t", _events(1))
        assert (await store.stream_version("s"), await store.stream_version("t")) == (3, 1)

    @pytest.mark.parametrize("expected", [True, False, -1, "1", 1.0, None])
    @pytest.mark.asyncio
    async def test_an_expected_version_that_is_not_an_int_or_a_state_is_refused(
        self, expected: object
    ) -> None:
        """bool, negative, str, float and None are not versions: refused, nothing stored."""
        store = self.new_store()
        with pytest.raises(InvalidAppendError, match="expected_version"):
            await store.append("s", _events(1), expected)
        assert await store.read_all() == []

    @pytest.mark.asyncio
    async def test_appending_the_same_events_again_is_reported_and_stores_one_copy(self) -> None:
        """A retry with identical events succeeds as already appended; one copy is kept."""
        store = self.new_store()
        events = _events(3)
        first = await store.append("s", events, NO_STREAM)
        again = await store.append("s", events, NO_STREAM)
        assert again.already_appended
        assert (again.stream_version, again.position) == (first.stream_version, first.position)
        await store.append("s", _events(1), 3)
        late_retry = await store.append("s", events, 0)
        assert late_retry.already_appended
        assert await store.stream_version("s") == 4
        assert len(await store.read_all()) == 4

    @pytest.mark.asyncio
    async def test_an_event_id_reused_for_other_content_or_partly_is_a_duplicate(self) -> None:
        """Known ids with other content, in another stream, or mixed with new ones: refused."""
        store = self.new_store()
        original = _events(2)
        await store.append("s", original)
        changed = [
            original[0],
            NewEvent(
                original[1].type_name,
                b'{"n":99}',
                original[1].event_id,
                original[1].occurred_at,
            ),
        ]
        with pytest.raises(DuplicateEventError):
            await store.append("s", changed)
        with pytest.raises(DuplicateEventError):
            await store.append("elsewhere", original)
        with pytest.raises(DuplicateEventError):
            await store.append("s", [original[1], new_event()])
        with pytest.raises(InvalidAppendError, match="twice"):
            await store.append("t", [original[0], original[0]])
        assert len(await store.read_all()) == 2

    @pytest.mark.asyncio
    async def test_a_multi_stream_commit_is_all_or_nothing(self) -> None:
        """One stale stream in a commit stores nothing of the others, nor outbox nor checkpoint."""
        store = self.new_store()
        await store.append("b", _events(1))
        with pytest.raises(WrongExpectedVersionError):
            await store.commit(
                [StreamAppend("a", _events(2), NO_STREAM), StreamAppend("b", _events(1), 0)],
                checkpoint=("projection", 7),
            )
        assert await store.stream_version("a") == 0
        assert await store.checkpoint("projection") == 0
        results = await store.commit(
            [StreamAppend("a", _events(2), NO_STREAM), StreamAppend("b", _events(1), 1)],
            checkpoint=("projection", 7),
        )
        assert [(r.stream_id, r.stream_version) for r in results] == [("a", 2), ("b", 2)]
        assert await store.checkpoint("projection") == 7
        assert await store.checkpoint("other") == 0

    @pytest.mark.asyncio
    async def test_retrying_a_whole_commit_stores_its_events_and_outbox_rows_once(self) -> None:
        """A commit repeated with the same events and outbox rows is already appended."""
        store = self.new_store()
        appends = [StreamAppend("a", _events(2), NO_STREAM), StreamAppend("b", _events(1), 0)]
        outbox = [_outbox_message()]
        first = await store.commit(appends, outbox=outbox, checkpoint=("p", 3))
        again = await store.commit(appends, outbox=outbox, checkpoint=("p", 3))
        assert [r.already_appended for r in again] == [True, True]
        assert [r.stream_version for r in again] == [r.stream_version for r in first]
        assert len(await store.read_all()) == 3

    @pytest.mark.asyncio
    async def test_two_appends_to_one_stream_in_one_commit_number_on(self) -> None:
        """A commit may append to a stream twice; the second part continues the first."""
        store = self.new_store()
        results = await store.commit(
            [StreamAppend("s", _events(1), NO_STREAM), StreamAppend("s", _events(2), 1)]
        )
        assert [r.stream_version for r in results] == [1, 3]
        assert [e.stream_version for e in await store.read("s")] == [1, 2, 3]

    @pytest.mark.parametrize(
        ("stream_id", "complaint"),
        [
            ("", "empty"),
            ("x" * 256, "more than 255"),
            ("bad\x00id", "control character"),
            ("line\nbreak", "control character"),
            (42, "stream id is a str"),
        ],
    )
    @pytest.mark.asyncio
    async def test_a_bad_stream_id_is_refused_before_anything_is_written(
        self, stream_id: object, complaint: str
    ) -> None:
        """Empty, overlong, control characters or not a str: InvalidAppendError, no write."""
        store = self.new_store()
        with pytest.raises(InvalidAppendError, match=complaint):
            await store.append(stream_id, _events(1))
        assert await store.read_all() == []

    @pytest.mark.asyncio
    async def test_hostile_looking_stream_ids_are_plain_data(self) -> None:
        """Quotes, SQL and unicode in a stream id are stored and read back verbatim."""
        store = self.new_store()
        hostile = ["a'; DROP TABLE tactica_events; --", 'quote"d', "ünïcødé-☃", "%s ? :p0"]
        for stream_id in hostile:
            await store.append(stream_id, _events(1))
        for stream_id in hostile:
            assert [e.stream_id for e in await store.read(stream_id)] == [stream_id]
        assert len(await store.read_all()) == len(hostile)

    @pytest.mark.parametrize(
        ("fields", "complaint"),
        [
            ({"payload": b"\x80\x04\x95pickled"}, "not a JSON document"),
            ({"payload": b"!!python/object:os.system"}, "not a JSON document"),
            ({"payload": b"[1, 2]"}, "JSON object"),
            ({"payload": "{}"}, "JSON bytes"),
            ({"metadata": b"{"}, "not a JSON document"),
            ({"type_name": ""}, "invalid type name"),
            ({"type_name": "os.system('x')"}, "invalid type name"),
            ({"schema_version": 0}, "schema version"),
            ({"schema_version": True}, "schema version"),
            ({"occurred_at": datetime(2026, 1, 1)}, "aware occurred_at"),  # noqa: DTZ001
            ({"event_id": "not-a-uuid"}, "not a UUID"),
        ],
    )
    @pytest.mark.asyncio
    async def test_a_malformed_event_is_refused_before_anything_is_written(
        self, fields: dict[str, Any], complaint: str
    ) -> None:
        """Pickle or YAML payloads, bad names, versions or times: InvalidAppendError."""
        store = self.new_store()
        with pytest.raises(InvalidAppendError, match=complaint):
            await store.append("s", [new_event(), new_event(**fields)])
        assert await store.read_all() == []

    @pytest.mark.asyncio
    async def test_an_oversized_or_empty_append_is_refused(self) -> None:
        """A payload over the store's limit, or no events at all: InvalidAppendError."""
        store = self.new_store()
        huge = b'{"blob":"' + b"x" * (store.max_event_bytes + 1) + b'"}'
        with pytest.raises(InvalidAppendError, match="more than"):
            await store.append("s", [new_event(payload=huge)])
        with pytest.raises(InvalidAppendError, match="no events"):
            await store.append("s", [])
        assert await store.read_all() == []

    @pytest.mark.parametrize(
        "options",
        [
            {"from_version": 0},
            {"from_version": True},
            {"to_version": -1},
            {"limit": 0},
        ],
    )
    @pytest.mark.asyncio
    async def test_a_read_with_bad_arguments_is_refused(self, options: dict[str, Any]) -> None:
        """Versions and limits are positive ints: anything else is InvalidReadError."""
        store = self.new_store()
        with pytest.raises(InvalidReadError):
            await store.read("s", **options)

    @pytest.mark.parametrize(
        "options", [{"after": -1}, {"limit": 0}, {"types": "x.opened"}, {"after": 1.5}]
    )
    @pytest.mark.asyncio
    async def test_a_global_read_with_bad_arguments_is_refused(
        self, options: dict[str, Any]
    ) -> None:
        """A negative position, a zero limit or a bare string as types: InvalidReadError."""
        store = self.new_store()
        with pytest.raises(InvalidReadError):
            await store.read_all(**options)

    @pytest.mark.asyncio
    async def test_a_snapshot_replaces_the_previous_one_of_its_stream(self) -> None:
        """The latest snapshot of a stream is kept, exactly; other streams have none."""
        store = self.new_store()
        assert await store.load_snapshot("s") is None
        await store.save_snapshot(Snapshot("s", 3, "bank:Account", 1, b'{"balance":3}'))
        newer = Snapshot("s", 9, "bank:Account", 2, b'{"balance":9}')
        await store.save_snapshot(newer)
        assert await self.another_store().load_snapshot("s") == newer
        assert await store.load_snapshot("t") is None

    @pytest.mark.asyncio
    async def test_another_connection_sees_committed_events(self) -> None:
        """What one store commits, a second store on the same storage reads."""
        store = self.new_store()
        await store.append("s", _events(2))
        other = self.another_store()
        assert [e.stream_version for e in await other.read("s")] == [1, 2]
        await other.append("s", _events(1), 2)
        assert await store.stream_version("s") == 3

    @pytest.mark.asyncio
    async def test_concurrent_appends_at_one_version_have_exactly_one_winner(self) -> None:
        """Writers appending at the same expected version: one wins per round, others conflict."""
        self.new_store()
        writers = [self.another_store() for _ in range(self.concurrent_writers)]
        for round_number in range(self.concurrent_rounds):
            barrier = AsyncBarrier(len(writers))

            async def write(
                store: Any, version: int = round_number, barrier: Any = barrier
            ) -> object:
                await barrier.wait()
                return await store.append("s", _events(1), version)

            outcomes = await async_run_all([partial(write, store) for store in writers])
            wins = [o for o in outcomes if not isinstance(o, BaseException)]
            conflicts = [o for o in outcomes if isinstance(o, WrongExpectedVersionError)]
            assert (len(wins), len(conflicts)) == (1, len(writers) - 1), outcomes
        events = await writers[0].read("s")
        assert [e.stream_version for e in events] == list(range(1, self.concurrent_rounds + 1))
