"""The projection contract, the runner on top of the store (async colour).

Catch-up applies every event once; poison events stop the runner or are parked; rebuilds
fill a new generation; competing runners never apply an event twice.
"""

from __future__ import annotations

import time

import pytest

from tactica.errors import ProjectionStoppedError, ProjectionTimeoutError
from tactica.projections import PoisonPolicy, async_wait_for
from tactica.testing._concurrency import async_run_all
from tactica.testing._event_store_async import new_event
from tactica.testing._projection_support_async import (
    FLAKY,
    AsyncProjectionContractBase,
    Totals,
    fold,
)

__all__ = ["AsyncProjectionRunnerContract"]


class AsyncProjectionRunnerContract(AsyncProjectionContractBase):
    """The runner's catch-up, poison policies, rebuilds and exactly-once effect, as pytest tests."""

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
        totals = Totals()
        runner = self._runner(store, totals)
        assert await runner.run_until_caught_up() == len(amounts)
        assert await self._read_models(store) == fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]
        assert totals.committed == [p for p, _, _ in deposits]
        assert await runner.run_until_caught_up() == 0
        assert await self._read_models(store) == fold(deposits)
        assert (await runner.status()).pending == 0

    @pytest.mark.asyncio
    async def test_events_without_a_handler_are_passed_over(self) -> None:
        """Events of types the projection does not handle are never decoded, but passed."""
        store = self.new_store()
        (p1,) = await self._deposits(store, 1)
        other = await store.append("elsewhere", [new_event("tactica.testing.unrelated")])
        (p3,) = await self._deposits(store, 2)
        last = await store.append("elsewhere", [new_event("tactica.testing.unrelated")])
        assert await self._runner(store, Totals()).run_until_caught_up() == 4
        assert await self._read_models(store) == fold([(p1, 0, 1), (p3, 0, 2)])
        assert other.position not in {p1, p3}
        assert await store.checkpoint("totals") == last.position

    @pytest.mark.asyncio
    async def test_a_poison_event_stops_the_runner_before_it_under_the_stop_policy(
        self,
    ) -> None:
        """Under "stop", a poison event raises with the checkpoint just before it, unapplied."""
        store = self.new_store()
        p1, p2, bad, _ = await self._deposits(store, 1, 2, 13, 4)
        runner = self._runner(store, Totals(poison=(13,)), max_attempts=2, batch_size=10)
        with pytest.raises(ProjectionStoppedError) as raised:
            await runner.run_until_caught_up()
        assert (raised.value.position, raised.value.attempts) == (bad, 2)
        assert raised.value.type_name == "tactica.testing.deposited"
        assert await store.checkpoint("totals") == p2
        assert await self._read_models(store) == fold([(p1, 0, 1), (p2, 0, 2)])
        assert await store.dead_letters("totals") == []

    @pytest.mark.asyncio
    async def test_a_poison_event_is_parked_after_max_attempts_and_the_runner_goes_on(
        self,
    ) -> None:
        """With poison="park", a failing event is parked after max_attempts; the rest apply."""
        store = self.new_store()
        p1, p2, bad, p4 = await self._deposits(store, 1, 2, 13, 4)
        totals = Totals(poison=(13,))
        runner = self._runner(store, totals, max_attempts=2, batch_size=10, poison="park")
        assert await runner.run_until_caught_up() == 4
        (letter,) = await store.dead_letters("totals")
        assert (letter.position, letter.attempts) == (bad, 2)
        assert "cannot apply 13" in letter.error
        assert await store.checkpoint("totals") == p4
        assert await self._read_models(store) == fold([(p1, 0, 1), (p2, 0, 2), (p4, 0, 4)])
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
        totals = Totals()
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
            assert await self._read_models(store) == fold([(p1, 0, 1), (p3, 0, 3)])
        assert bad not in totals.calls

    @pytest.mark.asyncio
    async def test_a_transient_failure_succeeds_on_a_later_attempt(self) -> None:
        """A handler that fails twice and then works applies its event once, parking nothing."""
        store = self.new_store()
        p1, flaky, p3 = await self._deposits(store, 1, FLAKY, 3)
        totals = Totals(flaky=2)
        runner = self._runner(store, totals, max_attempts=3, batch_size=10)
        assert await runner.run_until_caught_up() == 3
        assert await store.dead_letters("totals") == []
        assert await self._read_models(store) == fold([(p1, 0, 1), (flaky, 0, FLAKY), (p3, 0, 3)])
        assert totals.calls[flaky] == 3

    @pytest.mark.asyncio
    async def test_a_rebuild_gives_the_live_documents_in_a_new_generation(self) -> None:
        """A rebuild replays every event into a new generation, as live, calling no on_commit."""
        store = self.new_store()
        deposits: list[tuple[int, int, int]] = []
        for account, amount in [(0, 1), (1, 2), (0, 3), (1, 4), (0, 5)]:
            (position,) = await self._deposits(store, amount, account=account)
            deposits.append((position, account, amount))
        totals = Totals()
        runner = self._runner(store, totals)
        await runner.run_until_caught_up()
        live = await self._read_models(store)
        committed, totals.replaying = list(totals.committed), []
        progress: list[tuple[int, int]] = []
        assert await runner.rebuild(progress=lambda at, head: progress.append((at, head))) == 5
        assert await store.generation("totals") == 2
        assert await self._read_models(store) == live == fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]
        assert totals.committed == committed
        assert totals.replaying == [True] * 5
        assert progress[-1] == (deposits[-1][0], deposits[-1][0])
        (p6,) = await self._deposits(store, 6)
        assert await runner.run_until_caught_up() == 1
        assert await self._read_models(store) == fold([*deposits, (p6, 0, 6)])

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
        await self._runner(store, Totals()).run_until_caught_up()
        started = time.monotonic()
        await async_wait_for(store, "totals", position, timeout=5.0)
        assert time.monotonic() - started < 1.0

    @pytest.mark.asyncio
    async def test_runners_taking_turns_never_apply_an_event_twice(self) -> None:
        """A runner whose checkpoint another moved meanwhile rereads it instead of reapplying."""
        store = self.new_store()
        other = self.another_store()
        first = self._runner(store, Totals())
        second = self._runner(other, Totals())
        deposits: list[tuple[int, int, int]] = []
        for turn, runner in enumerate([first, second, first, second, first]):
            for amount in (1, 2, 3):
                (position,) = await self._deposits(store, amount + turn, account=turn % 2)
                deposits.append((position, turn % 2, amount + turn))
            await self._caught_up(runner, deposits[-1][0])
            assert await self._read_models(store) == fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]

    @pytest.mark.asyncio
    async def test_concurrent_runners_never_apply_an_event_twice(self) -> None:
        """Two runners started together (leases expiring at once) apply each event exactly once."""
        store = self.new_store()
        stores = [store, self.another_store()]
        runners = [self._runner(s, Totals(), lease_ttl=0.001, batch_size=2) for s in stores]
        deposits: list[tuple[int, int, int]] = []
        for round_number in range(4):
            for n in range(4):
                amount = 10 * round_number + n
                (position,) = await self._deposits(stores[n % 2], amount, account=n % 2)
                deposits.append((position, n % 2, amount))
            outcomes = await async_run_all([runner.run_until_caught_up for runner in runners])
            assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        await self._caught_up(runners[0], deposits[-1][0])
        assert await self._read_models(store) == fold(deposits)
        assert await store.checkpoint("totals") == deposits[-1][0]
