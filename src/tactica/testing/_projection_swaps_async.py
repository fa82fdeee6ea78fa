"""The projection contract, rebuilds swapped in under live runners (async colour).

A rebuild in one runner swaps a new generation in while other runners of the projection
are live: caught up, lagging, holding a batch they read before the swap, in the middle of
a batch's transaction, or running their service loop. Whatever the interleaving, every
event appended after the swap must end up in the generation readers see, exactly once,
and readers must never see the documents go back to an older position.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tactica._acompat import async_sleep
from tactica.projections import AsyncProjectionRunner, async_wait_for
from tactica.testing._concurrency import AsyncBarrier, async_run_all
from tactica.testing._projection_support_async import AsyncProjectionContractBase, Totals, fold

__all__ = ["AsyncProjectionSwapContract", "Interleaving"]

Deposits = list[tuple[int, int, int]]
"""Recorded deposits: (position, account, amount)."""

Hook = Callable[[], Awaitable[object]]


class Interleaving:
    """A store that runs a hook once, just before its next swap or its next read.

    It lets a test put another runner's work between two steps of this store's runner.
    """

    def __init__(self, store: Any) -> None:
        self._store = store
        self.before_swap: Hook | None = None
        self.before_read: Hook | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def swap(self, projection: str, generation: int) -> None:
        if self.before_swap is not None:
            hook, self.before_swap = self.before_swap, None
            await hook()
        await self._store.swap(projection, generation)

    async def read_all(self, **options: Any) -> Any:
        if self.before_read is not None:
            hook, self.before_read = self.before_read, None
            await hook()
        return await self._store.read_all(**options)


class AsyncProjectionSwapContract(AsyncProjectionContractBase):
    """Rebuilds swapped in under live runners lose no event and apply none twice."""

    async def _record(self, store: Any, *deposits: tuple[int, int]) -> Deposits:
        recorded: Deposits = []
        for account, amount in deposits:
            (position,) = await self._deposits(store, amount, account=account)
            recorded.append((position, account, amount))
        return recorded

    async def _shown(self, store: Any, deposits: Deposits) -> None:
        """Check that readers see `deposits` applied once each, and the checkpoint at the last."""
        assert await self._read_models(store) == fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]
        status = await store.status("totals")
        assert (status.checkpoint, status.pending) == (deposits[-1][0], 0)

    def _rebuilder(self) -> AsyncProjectionRunner:
        """Return a runner of the projection on another connection, to rebuild with."""
        return self._runner(self.another_store(), Totals())

    @pytest.mark.asyncio
    async def test_a_swap_under_a_caught_up_live_runner_loses_no_later_event(self) -> None:
        """Events after a swap under a caught-up live runner reach the new generation, once."""
        store = self.new_store()
        before = await self._record(store, (0, 1), (1, 2), (0, 3), (1, 4))
        live_totals = Totals()
        live = self._runner(store, live_totals)
        await self._caught_up(live, before[-1][0])
        assert await self._rebuilder().rebuild() == len(before)
        assert await store.generation("totals") == 2
        assert await store.checkpoint("totals") == before[-1][0]
        after = await self._record(store, (0, 5), (1, 6), (0, 8), (1, 9), (0, 10))
        await self._caught_up(live, after[-1][0])
        await self._shown(store, before + after)
        assert live_totals.committed == [p for p, _, _ in before + after]

    @pytest.mark.asyncio
    async def test_a_swap_under_a_lagging_live_runner_loses_no_later_event(self) -> None:
        """A live runner behind the rebuilt checkpoint goes on from it, in the new generation."""
        store = self.new_store()
        applied = await self._record(store, (0, 1), (1, 2))
        live_totals = Totals()
        live = self._runner(store, live_totals)
        await self._caught_up(live, applied[-1][0])
        skipped = await self._record(store, (0, 3), (1, 4), (0, 5))
        assert await self._rebuilder().rebuild() == len(applied + skipped)
        after = await self._record(store, (1, 6), (0, 8))
        await self._caught_up(live, after[-1][0])
        await self._shown(store, applied + skipped + after)
        # The rebuild applied the events the live runner had not reached, as a replay.
        assert live_totals.committed == [p for p, _, _ in applied + after]

    @pytest.mark.asyncio
    async def test_a_live_runner_ahead_of_the_rebuild_at_the_swap_is_caught_up_first(
        self,
    ) -> None:
        """A swap never moves readers back: a rebuild behind the live runner catches up first."""
        store = self.new_store()
        before = await self._record(store, (0, 1), (1, 2), (0, 3))
        live_totals = Totals()
        live = self._runner(store, live_totals)
        await self._caught_up(live, before[-1][0])
        ahead: Deposits = []

        async def live_runner_moves_on() -> None:
            ahead.extend(await self._record(store, (1, 4), (0, 5)))
            await self._caught_up(live, ahead[-1][0])

        rebuilding = Interleaving(self.another_store())
        rebuilding.before_swap = live_runner_moves_on
        read = await self._runner(rebuilding, Totals()).rebuild()
        assert read == len(before + ahead)
        await self._shown(store, before + ahead)
        after = await self._record(store, (1, 6), (0, 8))
        await self._caught_up(live, after[-1][0])
        await self._shown(store, before + ahead + after)
        assert live_totals.committed == [p for p, _, _ in before + ahead + after]

    @pytest.mark.asyncio
    async def test_a_batch_read_before_the_swap_is_retried_on_the_new_generation(
        self,
    ) -> None:
        """A live runner holding a cursor on the old generation conflicts, and rereads."""
        store = self.new_store()
        before = await self._record(store, (0, 1), (1, 2), (0, 3))
        watched = Interleaving(store)
        live_totals = Totals()
        live = self._runner(watched, live_totals)
        await self._caught_up(live, before[-1][0])
        after: Deposits = []

        async def rebuild_then_append() -> None:
            assert await self._rebuilder().rebuild() == len(before)
            after.extend(await self._record(store, (1, 4), (0, 5), (1, 6)))

        watched.before_read = rebuild_then_append
        await live.run_until_caught_up()
        await self._caught_up(live, after[-1][0])
        await self._shown(store, before + after)

    @pytest.mark.asyncio
    async def test_a_batch_in_flight_while_the_swap_commits_is_never_lost(self) -> None:
        """A swap attempted while a live batch's transaction is open leaves each event once."""
        store = self.new_store()
        before = await self._record(store, (0, 1), (1, 2), (0, 3))
        live_totals = Totals()
        live = self._runner(store, live_totals, batch_size=10)
        await self._caught_up(live, before[-1][0])
        in_flight = await self._record(store, (1, 4), (0, 5), (1, 6))
        entered = AsyncBarrier(2)

        async def hold_the_batch_open() -> None:
            await entered.wait()
            await async_sleep(0.3)  # the rebuild tries to swap meanwhile

        async def rebuild_during_the_batch() -> int:
            await entered.wait()
            return await self._rebuilder().rebuild()

        live_totals.hold = hold_the_batch_open
        outcomes = await async_run_all([live.run_until_caught_up, rebuild_during_the_batch])
        if any(isinstance(outcome, BaseException) for outcome in outcomes):
            pytest.fail(f"the live batch or the rebuild failed: {outcomes}")
        await self._caught_up(live, in_flight[-1][0])
        await self._shown(store, before + in_flight)
        after = await self._record(store, (0, 8))
        await self._caught_up(live, after[-1][0])
        await self._shown(store, before + in_flight + after)
        assert len(live_totals.committed) == len(set(live_totals.committed))

    @pytest.mark.asyncio
    async def test_a_swap_under_a_running_live_runner_loses_no_event(self) -> None:
        """A live runner in its service loop goes on in the swapped-in generation, losing none."""
        store = self.new_store()
        live = self._runner(store, Totals())
        recorded: Deposits = []

        async def append_rebuild_and_append() -> None:
            try:
                for round_number in range(3):
                    amounts = [(n % 2, 10 * round_number + n + 1) for n in range(4)]
                    recorded.extend(await self._record(store, *amounts))
                    await async_wait_for(store, "totals", recorded[-1][0], timeout=5.0)
                    if round_number == 1:
                        await self._rebuilder().rebuild()
                recorded.extend(await self._record(store, (0, 99)))
                await async_wait_for(store, "totals", recorded[-1][0], timeout=5.0)
            finally:
                live.stop()

        outcomes = await async_run_all([live.run, append_rebuild_and_append])
        assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        assert await store.generation("totals") == 2
        await self._shown(store, recorded)
