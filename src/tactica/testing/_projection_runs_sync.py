# Generated from _projection_runs_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The projection contract, the runner on top of the store (sync colour).

Catch-up applies every event once; poison events stop the runner or are parked; rebuilds
fill a new generation; competing runners never apply an event twice.
"""

from __future__ import annotations

import time

import pytest

from tactica.errors import ProjectionStoppedError, ProjectionTimeoutError
from tactica.projections import PoisonPolicy, wait_for
from tactica.testing._concurrency import run_all
from tactica.testing._event_store_sync import new_event
from tactica.testing._projection_support_sync import (
    FLAKY,
    ProjectionContractBase,
    Totals,
    fold,
)

__all__ = ["ProjectionRunnerContract"]


class ProjectionRunnerContract(ProjectionContractBase):
    """The runner's catch-up, poison policies, rebuilds and exactly-once effect, as pytest tests."""

    # The runner on top of the store.

    def test_catch_up_applies_every_event_once_and_moves_the_checkpoint_to_the_last(
        self,
    ) -> None:
        """run_until_caught_up applies each event once, in batches, and passes the last one."""
        store = self.new_store()
        amounts = [(0, 1), (1, 2), (0, 3), (1, 4), (0, 5), (0, 6), (1, 8)]
        deposits: list[tuple[int, int, int]] = []
        for account, amount in amounts:
            (position,) = self._deposits(store, amount, account=account)
            deposits.append((position, account, amount))
        totals = Totals()
        runner = self._runner(store, totals)
        assert runner.run_until_caught_up() == len(amounts)
        assert self._read_models(store) == fold(deposits)
        assert store.checkpoint("totals") == deposits[-1][0]
        assert totals.committed == [p for p, _, _ in deposits]
        assert runner.run_until_caught_up() == 0
        assert self._read_models(store) == fold(deposits)
        assert (runner.status()).pending == 0

    def test_events_without_a_handler_are_passed_over(self) -> None:
        """Events of types the projection does not handle are never decoded, but passed."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        other = store.append("elsewhere", [new_event("tactica.testing.unrelated")])
        (p3,) = self._deposits(store, 2)
        last = store.append("elsewhere", [new_event("tactica.testing.unrelated")])
        assert self._runner(store, Totals()).run_until_caught_up() == 4
        assert self._read_models(store) == fold([(p1, 0, 1), (p3, 0, 2)])
        assert other.position not in {p1, p3}
        assert store.checkpoint("totals") == last.position

    def test_a_poison_event_stops_the_runner_before_it_under_the_stop_policy(
        self,
    ) -> None:
        """Under "stop", a poison event raises with the checkpoint just before it, unapplied."""
        store = self.new_store()
        p1, p2, bad, _ = self._deposits(store, 1, 2, 13, 4)
        runner = self._runner(store, Totals(poison=(13,)), max_attempts=2, batch_size=10)
        with pytest.raises(ProjectionStoppedError) as raised:
            runner.run_until_caught_up()
        assert (raised.value.position, raised.value.attempts) == (bad, 2)
        assert raised.value.type_name == "tactica.testing.deposited"
        assert store.checkpoint("totals") == p2
        assert self._read_models(store) == fold([(p1, 0, 1), (p2, 0, 2)])
        assert store.dead_letters("totals") == []

    def test_a_poison_event_is_parked_after_max_attempts_and_the_runner_goes_on(
        self,
    ) -> None:
        """With poison="park", a failing event is parked after max_attempts; the rest apply."""
        store = self.new_store()
        p1, p2, bad, p4 = self._deposits(store, 1, 2, 13, 4)
        totals = Totals(poison=(13,))
        runner = self._runner(store, totals, max_attempts=2, batch_size=10, poison="park")
        assert runner.run_until_caught_up() == 4
        (letter,) = store.dead_letters("totals")
        assert (letter.position, letter.attempts) == (bad, 2)
        assert "cannot apply 13" in letter.error
        assert store.checkpoint("totals") == p4
        assert self._read_models(store) == fold([(p1, 0, 1), (p2, 0, 2), (p4, 0, 4)])
        assert totals.calls[bad] >= 2

    @pytest.mark.parametrize("poison", ["park", "stop"])
    def test_an_undecodable_event_is_poison_at_the_first_attempt(
        self, poison: PoisonPolicy
    ) -> None:
        """A handled event whose payload does not decode is parked or stops at once, unhandled."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        broken = new_event("tactica.testing.deposited", b'{"amount":"lots"}')
        bad = (store.append("account-0", [broken])).position
        (p3,) = self._deposits(store, 3)
        totals = Totals()
        runner = self._runner(store, totals, max_attempts=3, poison=poison)
        if poison == "stop":
            with pytest.raises(ProjectionStoppedError) as raised:
                runner.run_until_caught_up()
            assert (raised.value.position, raised.value.attempts) == (bad, 1)
            assert store.checkpoint("totals") == p1
        else:
            runner.run_until_caught_up()
            (letter,) = store.dead_letters("totals")
            assert (letter.position, letter.attempts) == (bad, 1)
            assert self._read_models(store) == fold([(p1, 0, 1), (p3, 0, 3)])
        assert bad not in totals.calls

    def test_a_transient_failure_succeeds_on_a_later_attempt(self) -> None:
        """A handler that fails twice and then works applies its event once, parking nothing."""
        store = self.new_store()
        p1, flaky, p3 = self._deposits(store, 1, FLAKY, 3)
        totals = Totals(flaky=2)
        runner = self._runner(store, totals, max_attempts=3, batch_size=10)
        assert runner.run_until_caught_up() == 3
        assert store.dead_letters("totals") == []
        assert self._read_models(store) == fold([(p1, 0, 1), (flaky, 0, FLAKY), (p3, 0, 3)])
        assert totals.calls[flaky] == 3

    def test_a_rebuild_gives_the_live_documents_in_a_new_generation(self) -> None:
        """A rebuild replays every event into a new generation, as live, calling no on_commit."""
        store = self.new_store()
        deposits: list[tuple[int, int, int]] = []
        for account, amount in [(0, 1), (1, 2), (0, 3), (1, 4), (0, 5)]:
            (position,) = self._deposits(store, amount, account=account)
            deposits.append((position, account, amount))
        totals = Totals()
        runner = self._runner(store, totals)
        runner.run_until_caught_up()
        live = self._read_models(store)
        committed, totals.replaying = list(totals.committed), []
        progress: list[tuple[int, int]] = []
        assert runner.rebuild(progress=lambda at, head: progress.append((at, head))) == 5
        assert store.generation("totals") == 2
        assert self._read_models(store) == live == fold(deposits)
        assert store.checkpoint("totals") == deposits[-1][0]
        assert totals.committed == committed
        assert totals.replaying == [True] * 5
        assert progress[-1] == (deposits[-1][0], deposits[-1][0])
        (p6,) = self._deposits(store, 6)
        assert runner.run_until_caught_up() == 1
        assert self._read_models(store) == fold([*deposits, (p6, 0, 6)])

    def test_wait_for_returns_once_caught_up_and_times_out_when_nothing_runs(
        self,
    ) -> None:
        """Waiting for a position times out while no runner runs, and returns once one has."""
        store = self.new_store()
        _, position = self._deposits(store, 1, 2)
        with pytest.raises(ProjectionTimeoutError) as raised:
            wait_for(store, "totals", position, timeout=0.05)
        assert raised.value.position == position
        self._runner(store, Totals()).run_until_caught_up()
        started = time.monotonic()
        wait_for(store, "totals", position, timeout=5.0)
        assert time.monotonic() - started < 1.0

    def test_runners_taking_turns_never_apply_an_event_twice(self) -> None:
        """A runner whose checkpoint another moved meanwhile rereads it instead of reapplying."""
        store = self.new_store()
        other = self.another_store()
        first = self._runner(store, Totals())
        second = self._runner(other, Totals())
        deposits: list[tuple[int, int, int]] = []
        for turn, runner in enumerate([first, second, first, second, first]):
            for amount in (1, 2, 3):
                (position,) = self._deposits(store, amount + turn, account=turn % 2)
                deposits.append((position, turn % 2, amount + turn))
            self._caught_up(runner, deposits[-1][0])
            assert self._read_models(store) == fold(deposits)
        assert store.checkpoint("totals") == deposits[-1][0]

    def test_concurrent_runners_never_apply_an_event_twice(self) -> None:
        """Two runners started together (leases expiring at once) apply each event exactly once."""
        store = self.new_store()
        stores = [store, self.another_store()]
        runners = [self._runner(s, Totals(), lease_ttl=0.001, batch_size=2) for s in stores]
        deposits: list[tuple[int, int, int]] = []
        for round_number in range(4):
            for n in range(4):
                amount = 10 * round_number + n
                (position,) = self._deposits(stores[n % 2], amount, account=n % 2)
                deposits.append((position, n % 2, amount))
            outcomes = run_all([runner.run_until_caught_up for runner in runners])
            assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        self._caught_up(runners[0], deposits[-1][0])
        assert self._read_models(store) == fold(deposits)
        assert store.checkpoint("totals") == deposits[-1][0]
