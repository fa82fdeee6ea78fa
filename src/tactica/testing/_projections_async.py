"""The projection conformance contract (async colour).

Subclass `AsyncProjectionContract` in a test module and implement `new_store` (fresh,
empty storage per test) and `another_store` (a second store on the same storage, as a
second connection); pytest then runs every behaviour a store hosting projections must
have: read models and checkpoint committed together, compare-and-set checkpoints,
generations swapped for rebuilds, dead letters, leases and wake-ups, and the runner's
catch-up, poison policies and exactly-once effect on top of them.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any, ClassVar
from uuid import UUID

import pytest

from tactica._acompat import async_sleep
from tactica.codec import JsonCodec, TypeRegistry
from tactica.errors import (
    CheckpointConflictError,
    InvalidAppendError,
    ProjectionStoppedError,
    ProjectionTimeoutError,
)
from tactica.eventsourcing import to_new_event
from tactica.ports._projection_records import generation_checkpoint
from tactica.projections import AsyncProjectionRunner, PoisonPolicy, async_wait_for
from tactica.testing._concurrency import async_run_all
from tactica.testing._event_store_async import new_event
from tactica.testing._sample import AccountId, Deposited

__all__ = ["AsyncProjectionContract"]

_CODEC = JsonCodec(TypeRegistry([Deposited]))
_ACCOUNTS = [AccountId(UUID(int=n)) for n in (1, 2)]
_FLAKY = 7
"""The amount whose handler fails as often as `_Totals.flaky` says, then succeeds."""

_BAD_NAMES = ["", "-leading", "with space", "slash/ed", "x" * 101, 42]
_BAD_KEYS = [
    ("", "k"),
    ("with space", "k"),
    ("x" * 101, "k"),
    (None, "k"),
    ("totals", ""),
    ("totals", "k" * 256),
    ("totals", 42),
]
_NOT_JSON = [object(), 1 + 2j, {"nested": object()}, {(1, 2): "tuple key"}]


class _Totals:
    """The runner tests' projection: a total per account, and how often each event was applied.

    Each event bumps ``applied/<position>``, so a count of 2 is an event applied twice.
    """

    def __init__(
        self, name: str = "totals", *, poison: tuple[int, ...] = (), flaky: int = 0
    ) -> None:
        self.name = name
        self.poison = set(poison)
        self.flaky = flaky
        self.calls: dict[int, int] = {}
        self.committed: list[int] = []
        self.replaying: list[bool] = []

    def handlers(self) -> dict[type, Any]:
        return {Deposited: self.deposited}

    async def deposited(self, event: Deposited, tx: Any) -> None:
        position = tx.recorded.position
        self.calls[position] = self.calls.get(position, 0) + 1
        self.replaying.append(tx.replaying)
        if event.amount in self.poison:
            msg = f"cannot apply {event.amount}"
            raise RuntimeError(msg)
        if event.amount == _FLAKY and self.flaky > 0:
            self.flaky -= 1
            msg = "a transient failure"
            raise RuntimeError(msg)
        key = str(event.account_id)
        await tx.put("totals", key, (await tx.get("totals", key) or 0) + event.amount)
        count = await tx.get("applied", str(position)) or 0
        await tx.put("applied", str(position), count + 1)
        tx.on_commit(partial(self.committed.append, position))


def _fold(deposits: list[tuple[int, int, int]], *, skipped: tuple[int, ...] = ()) -> Any:
    """Return the documents `_Totals` must hold for `deposits` (position, account, amount)."""
    totals: dict[str, int] = {}
    for position, account, amount in deposits:
        if position not in skipped:
            key = str(_ACCOUNTS[account])
            totals[key] = totals.get(key, 0) + amount
    applied = {str(p): 1 for p, _, _ in deposits if p not in skipped}
    return totals, applied


async def _taken_soon(lease: Any) -> bool:
    """Return whether `lease` is taken within half a second (a standby's next polls).

    A lock freed by closing its holder's connection is freed by the server a moment later.
    """
    deadline = time.monotonic() + 0.5
    while not await lease.acquire():
        if time.monotonic() > deadline:
            return False
        await async_sleep(0.01)
    return True


class AsyncProjectionContract:
    """Behaviours every store that hosts projections shares, as pytest tests.

    Hooks:
        `new_store` returns a store on fresh, empty storage; `another_store` a second
        store on the same storage (another connection or session). Set `leases_expire`
        to ``False`` for leases that are not timed (PostgreSQL's advisory locks, freed
        when the holder's connection dies instead), and `shared_wakeups` to ``True``
        where others' appends wake a listener too (PostgreSQL's one NOTIFY channel per
        database), so that a quiet wait cannot be counted on.
    """

    leases_expire: ClassVar[bool] = True
    shared_wakeups: ClassVar[bool] = False

    def new_store(self) -> Any:
        """Return a store on fresh, empty storage (the test's own)."""
        raise NotImplementedError

    def another_store(self) -> Any:
        """Return another store on the storage `new_store` made last."""
        raise NotImplementedError

    async def _deposits(self, store: Any, *amounts: int, account: int = 0) -> list[int]:
        positions: list[int] = []
        for amount in amounts:
            event = Deposited(account_id=_ACCOUNTS[account], amount=amount)
            result = await store.append(f"account-{account}", [to_new_event(_CODEC, event)])
            positions.append(result.position)
        return positions

    def _batch(self, store: Any, after: int, to: int, name: str = "totals", **options: Any) -> Any:
        return store.projecting(name, generation=1, checkpoint=name, after=after, to=to, **options)

    def _runner(self, store: Any, projection: _Totals, **options: Any) -> AsyncProjectionRunner:
        settings: dict[str, Any] = {"batch_size": 3, "poll_interval": 0.01, "retry_delay": 0.001}
        return AsyncProjectionRunner(store, projection, codec=_CODEC, **(settings | options))

    async def _caught_up(self, runner: AsyncProjectionRunner, position: int) -> None:
        # A lease its last holder just gave up may be freed a moment later (PostgreSQL
        # frees an advisory lock once the closed connection's backend has gone).
        deadline = time.monotonic() + 2.0
        while not await runner.store.reached(runner.name, position):
            assert time.monotonic() < deadline, f"{runner.name} did not reach {position}"
            await runner.run_until_caught_up()

    async def _read_models(self, store: Any, name: str = "totals") -> Any:
        return await store.documents(name, "totals"), await store.documents(name, "applied")

    # The store's side: transactions, checkpoints and documents.

    @pytest.mark.asyncio
    async def test_a_batch_commits_its_documents_and_its_checkpoint_together(self) -> None:
        """After a batch commits, its documents and its checkpoint move are both visible."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        async with self._batch(store, 0, p2) as tx:
            await tx.put("totals", "a", {"total": 3, "events": [p1, p2]})
        assert await store.checkpoint("totals") == p2
        assert await store.document("totals", "totals", "a") == {"total": 3, "events": [p1, p2]}
        assert await self.another_store().documents("totals", "totals") == {
            "a": {"total": 3, "events": [p1, p2]}
        }

    @pytest.mark.asyncio
    async def test_a_handler_error_rolls_back_the_documents_and_the_checkpoint(self) -> None:
        """An exception inside a batch leaves the documents and the checkpoint as they were."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        async with self._batch(store, 0, p1) as tx:
            await tx.put("totals", "a", 1)
        with pytest.raises(RuntimeError, match="handler failed"):
            async with self._batch(store, p1, p2) as tx:
                await tx.put("totals", "a", 2)
                await tx.put("totals", "b", 2)
                await tx.delete("totals", "a")
                msg = "handler failed"
                raise RuntimeError(msg)
        assert await store.checkpoint("totals") == p1
        assert await store.documents("totals", "totals") == {"a": 1}

    @pytest.mark.asyncio
    async def test_a_stale_after_is_a_checkpoint_conflict_that_stores_nothing(self) -> None:
        """A batch from a position the checkpoint has left raises and stores none of its writes."""
        store = self.new_store()
        p1, p2, p3 = await self._deposits(store, 1, 2, 3)
        async with self._batch(store, 0, p2) as tx:
            await tx.put("totals", "a", 1)
        for stale in (p1, p3):
            with pytest.raises(CheckpointConflictError) as raised:
                async with self._batch(store, stale, p3) as tx:
                    await tx.put("totals", "a", 99)
                    await tx.put("totals", "b", 99)
            assert raised.value.expected == stale
        assert await store.checkpoint("totals") == p2
        assert await store.documents("totals", "totals") == {"a": 1}

    @pytest.mark.asyncio
    async def test_the_first_checkpoint_moves_from_zero_once(self) -> None:
        """A new checkpoint starts at 0: a first batch from 0 wins once, from elsewhere never."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        assert await store.checkpoint("totals") == 0
        with pytest.raises(CheckpointConflictError):
            async with self._batch(store, p1, p2) as tx:
                await tx.put("totals", "from-p1", 1)
        async with self._batch(store, 0, p1) as tx:
            await tx.put("totals", "first", 1)
        with pytest.raises(CheckpointConflictError):
            async with self._batch(store, 0, p2) as tx:
                await tx.put("totals", "again-from-0", 1)
        assert await store.checkpoint("totals") == p1
        assert await store.documents("totals", "totals") == {"first": 1}

    @pytest.mark.asyncio
    async def test_a_transaction_reads_its_own_writes(self) -> None:
        """Inside a batch, get and documents see its puts, replacements and deletions."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        async with self._batch(store, 0, p1) as tx:
            await tx.put("totals", "a", 1)
            await tx.put("totals", "b", [1, "two", None, True, 2.5])
        async with self._batch(store, p1, p2) as tx:
            assert await tx.get("totals", "a") == 1
            assert await tx.get("totals", "missing") is None
            await tx.put("totals", "a", {"replaced": True})
            await tx.delete("totals", "b")
            await tx.delete("totals", "never-there")
            await tx.put("totals", "c", "ünïcødé ☃")
            assert await tx.get("totals", "a") == {"replaced": True}
            assert await tx.get("totals", "b") is None
            assert await tx.documents("totals") == {"a": {"replaced": True}, "c": "ünïcødé ☃"}
        assert await store.documents("totals", "totals") == {
            "a": {"replaced": True},
            "c": "ünïcødé ☃",
        }

    @pytest.mark.asyncio
    async def test_readers_see_a_batch_only_once_it_commits(self) -> None:
        """Another connection reads neither the documents nor the checkpoint of an open batch."""
        store = self.new_store()
        reader = self.another_store()
        (p1,) = await self._deposits(store, 1)
        async with self._batch(store, 0, p1) as tx:
            await tx.put("totals", "a", 1)
            assert await reader.document("totals", "totals", "a") is None
            assert await reader.documents("totals", "totals") == {}
            assert await reader.checkpoint("totals") == 0
        assert await reader.document("totals", "totals", "a") == 1

    @pytest.mark.asyncio
    async def test_documents_are_kept_apart_per_projection_and_collection(self) -> None:
        """One key in two projections, or in two collections, names two documents."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        async with self._batch(store, 0, p1, name="one") as tx:
            await tx.put("totals", "k", "one/totals")
            await tx.put("counts", "k", "one/counts")
        async with self._batch(store, 0, p1, name="two") as tx:
            assert await tx.get("totals", "k") is None
            assert await tx.documents("totals") == {}
            await tx.put("totals", "k", "two/totals")
        assert await store.document("one", "totals", "k") == "one/totals"
        assert await store.document("one", "counts", "k") == "one/counts"
        assert await store.documents("two", "totals") == {"k": "two/totals"}
        assert await store.documents("two", "counts") == {}
        assert await store.documents("three", "totals") == {}

    @pytest.mark.asyncio
    async def test_a_bad_projection_name_is_refused_before_anything_is_written(self) -> None:
        """Empty, overlong, spaced, slashed or non-str projection names: InvalidAppendError."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        for name in _BAD_NAMES:
            with pytest.raises(InvalidAppendError, match="projection name"):
                async with store.projecting(
                    name, generation=1, checkpoint="totals", after=0, to=p1
                ) as tx:
                    await tx.put("totals", "a", 1)
            with pytest.raises(InvalidAppendError, match="projection name"):
                await store.start_rebuild(name)
        assert await store.checkpoint("totals") == 0
        assert await store.documents("totals", "totals") == {}

    @pytest.mark.asyncio
    async def test_a_bad_collection_or_key_is_refused_before_anything_is_written(self) -> None:
        """Bad collections or keys fail get, put and delete; their batch then stores nothing."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        for collection, key in _BAD_KEYS:
            with pytest.raises(InvalidAppendError, match="read-model"):
                async with self._batch(store, 0, p1) as tx:
                    await tx.put("totals", "fine", 1)
                    with pytest.raises(InvalidAppendError, match="read-model"):
                        await tx.get(collection, key)
                    with pytest.raises(InvalidAppendError, match="read-model"):
                        await tx.delete(collection, key)
                    await tx.put(collection, key, 1)
            with pytest.raises(InvalidAppendError, match="read-model"):
                await store.document("totals", collection, key)
            assert await store.checkpoint("totals") == 0, (collection, key)
            assert await store.documents("totals", "totals") == {}, (collection, key)

    @pytest.mark.asyncio
    async def test_a_document_that_is_not_json_data_is_refused(self) -> None:
        """A document JSON cannot hold raises InvalidAppendError naming it; nothing is stored."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        for document in _NOT_JSON:
            with pytest.raises(InvalidAppendError, match="totals/bad is not JSON data"):
                async with self._batch(store, 0, p1) as tx:
                    await tx.put("totals", "fine", 1)
                    await tx.put("totals", "bad", document)
            assert await store.checkpoint("totals") == 0, document
            assert await store.documents("totals", "totals") == {}, document

    @pytest.mark.asyncio
    async def test_readers_refuse_a_bad_collection(self) -> None:
        """Reading a collection with a bad name raises InvalidAppendError, as writing does."""
        store = self.new_store()
        for collection in ("", "with space", None):
            with pytest.raises(InvalidAppendError, match="read-model collection"):
                await store.documents("totals", collection)

    # Callbacks after commit.

    @pytest.mark.asyncio
    async def test_on_commit_callbacks_run_after_the_commit_and_never_on_a_rollback(
        self,
    ) -> None:
        """A callback runs once its batch has committed; a failed or conflicting one drops it."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        called: list[str] = []
        async with self._batch(store, 0, p1) as tx:
            assert not tx.replaying
            tx.on_commit(partial(called.append, "committed"))
            assert called == []
        assert called == ["committed"]
        with pytest.raises(RuntimeError):
            async with self._batch(store, p1, p2) as tx:
                tx.on_commit(partial(called.append, "failed"))
                raise RuntimeError
        with pytest.raises(CheckpointConflictError):
            async with self._batch(store, 0, p2) as tx:
                tx.on_commit(partial(called.append, "conflicted"))
        assert called == ["committed"]

    @pytest.mark.asyncio
    async def test_on_commit_callbacks_are_not_called_when_replaying(self) -> None:
        """A replaying batch (a rebuild) commits its documents but never calls its callbacks."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        called: list[str] = []
        async with self._batch(store, 0, p1, replaying=True) as tx:
            assert tx.replaying
            tx.on_commit(partial(called.append, "replayed"))
            await tx.put("totals", "a", 1)
        assert called == []
        assert await store.document("totals", "totals", "a") == 1

    # Dead letters.

    @pytest.mark.asyncio
    async def test_park_keeps_a_dead_letter_and_moves_the_checkpoint_past_the_event(
        self,
    ) -> None:
        """A parked event is kept with its ids, attempts and error; the checkpoint passes it."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        event = (await store.read_all(after=p1))[0]
        async with self._batch(store, 0, p1):
            pass
        await store.park("totals", event, checkpoint="totals", after=p1, attempts=3, error="boom")
        assert await store.checkpoint("totals") == p2
        (letter,) = await store.dead_letters("totals")
        assert (letter.projection, letter.position, letter.stream_id) == (
            "totals",
            p2,
            event.stream_id,
        )
        assert (letter.event_id, letter.type_name) == (event.event_id, event.type_name)
        assert (letter.attempts, letter.error) == (3, "boom")
        assert letter.parked_at.utcoffset() is not None
        assert await store.dead_letters("other") == []

    @pytest.mark.asyncio
    async def test_park_with_a_stale_after_conflicts_and_parks_nothing(self) -> None:
        """Parking from a position the checkpoint has left raises and keeps no dead letter."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        event = (await store.read_all(after=p1))[0]
        async with self._batch(store, 0, p2):
            pass
        with pytest.raises(CheckpointConflictError):
            await store.park("totals", event, checkpoint="totals", after=p1, attempts=1, error="x")
        assert await store.dead_letters("totals") == []
        assert await store.checkpoint("totals") == p2

    # Generations: rebuilds and the swap.

    @pytest.mark.asyncio
    async def test_readers_see_the_old_generation_until_the_swap_then_only_the_new_one(
        self,
    ) -> None:
        """Rebuilt documents stay hidden until the swap; then only they and their checkpoint do."""
        store = self.new_store()
        p1, p2 = await self._deposits(store, 1, 2)
        async with self._batch(store, 0, p1) as tx:
            await tx.put("totals", "old", 1)
            await tx.put("totals", "both", 1)
        generation = await store.start_rebuild("totals")
        assert generation > 1
        assert await store.generation("totals") == 1
        rebuilt = generation_checkpoint("totals", generation)
        async with store.projecting(
            "totals", generation=generation, checkpoint=rebuilt, after=0, to=p2, replaying=True
        ) as tx:
            assert await tx.documents("totals") == {}
            assert await tx.get("totals", "old") is None
            await tx.put("totals", "new", 2)
            await tx.put("totals", "both", 2)
        assert await store.documents("totals", "totals") == {"old": 1, "both": 1}
        assert await store.document("totals", "totals", "new") is None
        assert await store.checkpoint("totals") == p1
        await store.swap("totals", generation)
        assert await store.generation("totals") == generation
        assert await store.documents("totals", "totals") == {"new": 2, "both": 2}
        assert await store.document("totals", "totals", "old") is None
        assert await store.checkpoint("totals") == p2
        assert await store.checkpoint(rebuilt) == 0

    @pytest.mark.asyncio
    async def test_a_rebuild_generation_starts_empty_and_without_a_checkpoint(self) -> None:
        """Each rebuild gets a generation never used before, with no documents or checkpoint."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        abandoned = await store.start_rebuild("totals")
        async with store.projecting(
            "totals",
            generation=abandoned,
            checkpoint=generation_checkpoint("totals", abandoned),
            after=0,
            to=p1,
        ) as tx:
            await tx.put("totals", "half-done", 1)
        fresh = await store.start_rebuild("totals")
        assert fresh not in {1, abandoned}
        assert await store.checkpoint(generation_checkpoint("totals", fresh)) == 0
        async with store.projecting(
            "totals",
            generation=fresh,
            checkpoint=generation_checkpoint("totals", fresh),
            after=0,
            to=p1,
        ) as tx:
            assert await tx.documents("totals") == {}
        assert await store.generation("totals") == 1

    # Progress: reached and status.

    @pytest.mark.asyncio
    async def test_reached_says_whether_the_checkpoint_is_at_or_past_a_position(self) -> None:
        """A projection has reached every position up to its checkpoint, and none after it."""
        store = self.new_store()
        p1, p2, p3 = await self._deposits(store, 1, 2, 3)
        assert not await store.reached("totals", p1)
        async with self._batch(store, 0, p2):
            pass
        assert await store.reached("totals", p1)
        assert await store.reached("totals", p2)
        assert not await store.reached("totals", p3)
        assert not await store.reached("other", p1)

    @pytest.mark.asyncio
    async def test_status_counts_the_events_a_projection_has_not_applied(self) -> None:
        """The status gives the checkpoint, the head, how many events are pending and how old."""
        store = self.new_store()
        p1, _, p3 = await self._deposits(store, 1, 2, 3)
        await async_sleep(0.02)
        fresh = await store.status("totals")
        assert (fresh.name, fresh.checkpoint, fresh.head, fresh.pending) == ("totals", 0, p3, 3)
        async with self._batch(store, 0, p1):
            pass
        behind = await store.status("totals")
        assert (behind.checkpoint, behind.head, behind.pending) == (p1, p3, 2)
        assert behind.seconds_behind > 0.01
        assert not behind.stalled
        async with self._batch(store, p1, p3):
            pass
        caught_up = await store.status("totals")
        assert (caught_up.checkpoint, caught_up.pending, caught_up.seconds_behind) == (p3, 0, 0.0)

    # Leases.

    @pytest.mark.asyncio
    async def test_one_lease_holder_at_a_time_and_a_release_lets_another_take_it(
        self,
    ) -> None:
        """While one runner holds a projection's lease another cannot take it, until released."""
        store = self.new_store()
        first, second = store.lease("totals", ttl=10.0), store.lease("totals", ttl=10.0)
        try:
            assert await first.acquire()
            assert not await second.acquire()
            await first.release()
            assert await _taken_soon(second)
            assert not await first.acquire()
        finally:
            await first.release()
            await second.release()

    @pytest.mark.asyncio
    async def test_the_holder_renews_its_lease_and_other_projections_lease_apart(
        self,
    ) -> None:
        """The holder keeps its lease by acquiring again; another projection's lease is free."""
        store = self.new_store()
        held, other = store.lease("totals", ttl=10.0), store.lease("balances", ttl=10.0)
        try:
            assert await held.acquire()
            assert await held.acquire()
            assert await other.acquire()
        finally:
            await held.release()
            await other.release()

    @pytest.mark.asyncio
    async def test_an_expired_lease_can_be_taken_over(self) -> None:
        """A holder that stops renewing loses its lease once its ttl has passed."""
        if not self.leases_expire:
            pytest.skip("this store's leases are freed when the holder dies, not timed")
        store = self.new_store()
        stale, standby = store.lease("totals", ttl=0.05), store.lease("totals", ttl=10.0)
        try:
            assert await stale.acquire()
            assert not await standby.acquire()
            await async_sleep(0.1)
            assert await standby.acquire()
            assert not await stale.acquire()
        finally:
            await stale.release()
            await standby.release()

    # Wake-ups.

    @pytest.mark.asyncio
    async def test_a_listener_returns_early_after_an_append_in_this_process(self) -> None:
        """A runner waiting for events wakes up when this process appends one."""
        store = self.new_store()
        async with store.listen() as listener:
            started = time.monotonic()

            async def wait() -> None:
                await listener.wait(5.0)

            async def append_soon() -> None:
                await async_sleep(0.05)
                await self._deposits(store, 1)

            outcomes = await async_run_all([wait, append_soon])
            elapsed = time.monotonic() - started
        assert outcomes == [None, None]
        assert elapsed < 2.0

    @pytest.mark.asyncio
    async def test_a_quiet_listener_waits_out_its_timeout(self) -> None:
        """Without a new append, a wait lasts its timeout, also once a wake-up was taken."""
        if self.shared_wakeups:
            pytest.skip("other users of this database wake its listeners too")
        store = self.new_store()
        async with store.listen() as listener:
            started = time.monotonic()
            await listener.wait(0.1)
            quiet = time.monotonic() - started
            await self._deposits(store, 1)
            started = time.monotonic()
            await listener.wait(5.0)
            woken = time.monotonic() - started
            started = time.monotonic()
            await listener.wait(0.1)
            quiet_again = time.monotonic() - started
        assert 0.09 <= quiet < 1.0
        assert woken < 2.0
        assert 0.09 <= quiet_again < 1.0

    # The runner on top of the store.

    @pytest.mark.asyncio
    async def test_catch_up_applies_every_event_once_and_moves_the_checkpoint_to_the_last(
        self,
    ) -> None:
        """run_until_caught_up applies each event once, in batches, and passes the last one."""
        store = self.new_store()
        amounts = [(0, 1), (1, 2), (0, 3), (1, 4), (0, 5), (0, 6), (1, 8)]
        deposits: list[tuple[int, int, int]] = []
        for account, amount in amounts:
            (position,) = await self._deposits(store, amount, account=account)
            deposits.append((position, account, amount))
        totals = _Totals()
        runner = self._runner(store, totals)
        assert await runner.run_until_caught_up() == len(amounts)
        assert await self._read_models(store) == _fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]
        assert totals.committed == [p for p, _, _ in deposits]
        assert await runner.run_until_caught_up() == 0
        assert await self._read_models(store) == _fold(deposits)
        assert (await runner.status()).pending == 0

    @pytest.mark.asyncio
    async def test_events_without_a_handler_are_passed_over(self) -> None:
        """Events of types the projection does not handle are never decoded, but passed."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        other = await store.append("elsewhere", [new_event("tactica.testing.unrelated")])
        (p3,) = await self._deposits(store, 2)
        last = await store.append("elsewhere", [new_event("tactica.testing.unrelated")])
        assert await self._runner(store, _Totals()).run_until_caught_up() == 4
        assert await self._read_models(store) == _fold([(p1, 0, 1), (p3, 0, 2)])
        assert other.position not in {p1, p3}
        assert await store.checkpoint("totals") == last.position

    @pytest.mark.asyncio
    async def test_a_poison_event_stops_the_runner_before_it_under_the_stop_policy(
        self,
    ) -> None:
        """Under "stop", a poison event raises with the checkpoint just before it, unapplied."""
        store = self.new_store()
        p1, p2, bad, _ = await self._deposits(store, 1, 2, 13, 4)
        runner = self._runner(store, _Totals(poison=(13,)), max_attempts=2, batch_size=10)
        with pytest.raises(ProjectionStoppedError) as raised:
            await runner.run_until_caught_up()
        assert (raised.value.position, raised.value.attempts) == (bad, 2)
        assert raised.value.type_name == "tactica.testing.deposited"
        assert await store.checkpoint("totals") == p2
        assert await self._read_models(store) == _fold([(p1, 0, 1), (p2, 0, 2)])
        assert await store.dead_letters("totals") == []

    @pytest.mark.asyncio
    async def test_a_poison_event_is_parked_after_max_attempts_and_the_runner_goes_on(
        self,
    ) -> None:
        """With poison="park", a failing event is parked after max_attempts; the rest apply."""
        store = self.new_store()
        p1, p2, bad, p4 = await self._deposits(store, 1, 2, 13, 4)
        totals = _Totals(poison=(13,))
        runner = self._runner(store, totals, max_attempts=2, batch_size=10, poison="park")
        assert await runner.run_until_caught_up() == 4
        (letter,) = await store.dead_letters("totals")
        assert (letter.position, letter.attempts) == (bad, 2)
        assert "cannot apply 13" in letter.error
        assert await store.checkpoint("totals") == p4
        assert await self._read_models(store) == _fold([(p1, 0, 1), (p2, 0, 2), (p4, 0, 4)])
        assert totals.calls[bad] >= 2

    @pytest.mark.parametrize("poison", ["park", "stop"])
    @pytest.mark.asyncio
    async def test_an_undecodable_event_is_poison_at_the_first_attempt(
        self, poison: PoisonPolicy
    ) -> None:
        """A handled event whose payload does not decode is parked or stops at once, unhandled."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        broken = new_event("tactica.testing.deposited", b'{"amount":"lots"}')
        bad = (await store.append("account-0", [broken])).position
        (p3,) = await self._deposits(store, 3)
        totals = _Totals()
        runner = self._runner(store, totals, max_attempts=3, poison=poison)
        if poison == "stop":
            with pytest.raises(ProjectionStoppedError) as raised:
                await runner.run_until_caught_up()
            assert (raised.value.position, raised.value.attempts) == (bad, 1)
            assert await store.checkpoint("totals") == p1
        else:
            await runner.run_until_caught_up()
            (letter,) = await store.dead_letters("totals")
            assert (letter.position, letter.attempts) == (bad, 1)
            assert await self._read_models(store) == _fold([(p1, 0, 1), (p3, 0, 3)])
        assert bad not in totals.calls

    @pytest.mark.asyncio
    async def test_a_transient_failure_succeeds_on_a_later_attempt(self) -> None:
        """A handler that fails twice and then works applies its event once, parking nothing."""
        store = self.new_store()
        p1, flaky, p3 = await self._deposits(store, 1, _FLAKY, 3)
        totals = _Totals(flaky=2)
        runner = self._runner(store, totals, max_attempts=3, batch_size=10)
        assert await runner.run_until_caught_up() == 3
        assert await store.dead_letters("totals") == []
        assert await self._read_models(store) == _fold([(p1, 0, 1), (flaky, 0, _FLAKY), (p3, 0, 3)])
        assert totals.calls[flaky] == 3

    @pytest.mark.asyncio
    async def test_a_rebuild_gives_the_live_documents_in_a_new_generation(self) -> None:
        """A rebuild replays every event into a new generation, as live, calling no on_commit."""
        store = self.new_store()
        deposits: list[tuple[int, int, int]] = []
        for account, amount in [(0, 1), (1, 2), (0, 3), (1, 4), (0, 5)]:
            (position,) = await self._deposits(store, amount, account=account)
            deposits.append((position, account, amount))
        totals = _Totals()
        runner = self._runner(store, totals)
        await runner.run_until_caught_up()
        live = await self._read_models(store)
        committed, totals.replaying = list(totals.committed), []
        progress: list[tuple[int, int]] = []
        assert await runner.rebuild(progress=lambda at, head: progress.append((at, head))) == 5
        assert await store.generation("totals") == 2
        assert await self._read_models(store) == live == _fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]
        assert totals.committed == committed
        assert totals.replaying == [True] * 5
        assert progress[-1] == (deposits[-1][0], deposits[-1][0])
        (p6,) = await self._deposits(store, 6)
        assert await runner.run_until_caught_up() == 1
        assert await self._read_models(store) == _fold([*deposits, (p6, 0, 6)])

    @pytest.mark.asyncio
    async def test_wait_for_returns_once_caught_up_and_times_out_when_nothing_runs(
        self,
    ) -> None:
        """Waiting for a position times out while no runner runs, and returns once one has."""
        store = self.new_store()
        _, position = await self._deposits(store, 1, 2)
        with pytest.raises(ProjectionTimeoutError) as raised:
            await async_wait_for(store, "totals", position, timeout=0.05)
        assert raised.value.position == position
        await self._runner(store, _Totals()).run_until_caught_up()
        started = time.monotonic()
        await async_wait_for(store, "totals", position, timeout=5.0)
        assert time.monotonic() - started < 1.0

    @pytest.mark.asyncio
    async def test_runners_taking_turns_never_apply_an_event_twice(self) -> None:
        """A runner whose checkpoint another moved meanwhile rereads it instead of reapplying."""
        store = self.new_store()
        other = self.another_store()
        first = self._runner(store, _Totals())
        second = self._runner(other, _Totals())
        deposits: list[tuple[int, int, int]] = []
        for turn, runner in enumerate([first, second, first, second, first]):
            for amount in (1, 2, 3):
                (position,) = await self._deposits(store, amount + turn, account=turn % 2)
                deposits.append((position, turn % 2, amount + turn))
            await self._caught_up(runner, deposits[-1][0])
            assert await self._read_models(store) == _fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]

    @pytest.mark.asyncio
    async def test_concurrent_runners_never_apply_an_event_twice(self) -> None:
        """Two runners started together (leases expiring at once) apply each event exactly once."""
        store = self.new_store()
        stores = [store, self.another_store()]
        runners = [self._runner(s, _Totals(), lease_ttl=0.001, batch_size=2) for s in stores]
        deposits: list[tuple[int, int, int]] = []
        for round_number in range(4):
            for n in range(4):
                amount = 10 * round_number + n
                (position,) = await self._deposits(stores[n % 2], amount, account=n % 2)
                deposits.append((position, n % 2, amount))
            outcomes = await async_run_all([runner.run_until_caught_up for runner in runners])
            assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        await self._caught_up(runners[0], deposits[-1][0])
        assert await self._read_models(store) == _fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]
