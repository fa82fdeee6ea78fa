# Generated from _projection_coordination_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The projection contract, coordination (sync colour): generations, progress, leases, wake-ups.

Rebuilt generations stay hidden until swapped in; reached and status report progress;
one lease holder at a time; listeners wake on appends.
"""

from __future__ import annotations

import time

import pytest

from tactica._acompat import sleep
from tactica.ports._projection_records import generation_checkpoint
from tactica.testing._concurrency import run_all
from tactica.testing._projection_support_sync import ProjectionContractBase, taken_soon

__all__ = ["ProjectionCoordinationContract"]


class ProjectionCoordinationContract(ProjectionContractBase):
    """Generations, reached/status, leases and wake-ups, as pytest tests."""

    # Generations: rebuilds and the swap.

    def test_readers_see_the_old_generation_until_the_swap_then_only_the_new_one(
        self,
    ) -> None:
        """Rebuilt documents stay hidden until the swap; then only they and their checkpoint do."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        with self._batch(store, 0, p1) as tx:
            tx.put("totals", "old", 1)
            tx.put("totals", "both", 1)
        generation = store.start_rebuild("totals")
        assert generation > 1
        assert store.generation("totals") == 1
        rebuilt = generation_checkpoint("totals", generation)
        with store.projecting(
            "totals", generation=generation, checkpoint=rebuilt, after=0, to=p2, replaying=True
        ) as tx:
            assert tx.documents("totals") == {}
            assert tx.get("totals", "old") is None
            tx.put("totals", "new", 2)
            tx.put("totals", "both", 2)
        assert store.documents("totals", "totals") == {"old": 1, "both": 1}
        assert store.document("totals", "totals", "new") is None
        assert store.checkpoint("totals") == p1
        store.swap("totals", generation)
        assert store.generation("totals") == generation
        assert store.documents("totals", "totals") == {"new": 2, "both": 2}
        assert store.document("totals", "totals", "old") is None
        assert store.checkpoint("totals") == p2
        assert store.checkpoint(rebuilt) == 0

    def test_a_rebuild_generation_starts_empty_and_without_a_checkpoint(self) -> None:
        """Each rebuild gets a generation never used before, with no documents or checkpoint."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        abandoned = store.start_rebuild("totals")
        with store.projecting(
            "totals",
            generation=abandoned,
            checkpoint=generation_checkpoint("totals", abandoned),
            after=0,
            to=p1,
        ) as tx:
            tx.put("totals", "half-done", 1)
        fresh = store.start_rebuild("totals")
        assert fresh not in {1, abandoned}
        assert store.checkpoint(generation_checkpoint("totals", fresh)) == 0
        with store.projecting(
            "totals",
            generation=fresh,
            checkpoint=generation_checkpoint("totals", fresh),
            after=0,
            to=p1,
        ) as tx:
            assert tx.documents("totals") == {}
        assert store.generation("totals") == 1

    # Progress: reached and status.

    def test_reached_says_whether_the_checkpoint_is_at_or_past_a_position(self) -> None:
        """A projection has reached every position up to its checkpoint, and none after it."""
        store = self.new_store()
        p1, p2, p3 = self._deposits(store, 1, 2, 3)
        assert not store.reached("totals", p1)
        with self._batch(store, 0, p2):
            pass
        assert store.reached("totals", p1)
        assert store.reached("totals", p2)
        assert not store.reached("totals", p3)
        assert not store.reached("other", p1)

    def test_status_counts_the_events_a_projection_has_not_applied(self) -> None:
        """The status gives the checkpoint, the head, how many events are pending and how old."""
        store = self.new_store()
        p1, _, p3 = self._deposits(store, 1, 2, 3)
        sleep(0.02)
        fresh = store.status("totals")
        assert (fresh.name, fresh.checkpoint, fresh.head, fresh.pending) == ("totals", 0, p3, 3)
        with self._batch(store, 0, p1):
            pass
        behind = store.status("totals")
        assert (behind.checkpoint, behind.head, behind.pending) == (p1, p3, 2)
        assert behind.seconds_behind > 0.01
        assert not behind.stalled
        with self._batch(store, p1, p3):
            pass
        caught_up = store.status("totals")
        assert (caught_up.checkpoint, caught_up.pending, caught_up.seconds_behind) == (p3, 0, 0.0)

    # Leases.

    def test_one_lease_holder_at_a_time_and_a_release_lets_another_take_it(
        self,
    ) -> None:
        """While one runner holds a projection's lease another cannot take it, until released."""
        store = self.new_store()
        first, second = store.lease("totals", ttl=10.0), store.lease("totals", ttl=10.0)
        try:
            assert first.acquire()
            assert not second.acquire()
            first.release()
            assert taken_soon(second)
            assert not first.acquire()
        finally:
            first.release()
            second.release()

    def test_the_holder_renews_its_lease_and_other_projections_lease_apart(
        self,
    ) -> None:
        """The holder keeps its lease by acquiring again; another projection's lease is free."""
        store = self.new_store()
        held, other = store.lease("totals", ttl=10.0), store.lease("balances", ttl=10.0)
        try:
            assert held.acquire()
            assert held.acquire()
            assert other.acquire()
        finally:
            held.release()
            other.release()

    def test_an_expired_lease_can_be_taken_over(self) -> None:
        """A holder that stops renewing loses its lease once its ttl has passed."""
        if not self.leases_expire:
            pytest.skip("this store's leases are freed when the holder dies, not timed")
        store = self.new_store()
        stale, standby = store.lease("totals", ttl=0.05), store.lease("totals", ttl=10.0)
        try:
            assert stale.acquire()
            assert not standby.acquire()
            sleep(0.1)
            assert standby.acquire()
            assert not stale.acquire()
        finally:
            stale.release()
            standby.release()

    # Wake-ups.

    def test_a_listener_returns_early_after_an_append_in_this_process(self) -> None:
        """A runner waiting for events wakes up when this process appends one."""
        store = self.new_store()
        with store.listen() as listener:
            started = time.monotonic()

            def wait() -> None:
                listener.wait(5.0)

            def append_soon() -> None:
                sleep(0.05)
                self._deposits(store, 1)

            outcomes = run_all([wait, append_soon])
            elapsed = time.monotonic() - started
        assert outcomes == [None, None]
        assert elapsed < 2.0

    def test_a_quiet_listener_waits_out_its_timeout(self) -> None:
        """Without a new append, a wait lasts its timeout, also once a wake-up was taken."""
        if self.shared_wakeups:
            pytest.skip("other users of this database wake its listeners too")
        store = self.new_store()
        with store.listen() as listener:
            started = time.monotonic()
            listener.wait(0.1)
            quiet = time.monotonic() - started
            self._deposits(store, 1)
            started = time.monotonic()
            listener.wait(5.0)
            woken = time.monotonic() - started
            started = time.monotonic()
            listener.wait(0.1)
            quiet_again = time.monotonic() - started
        assert 0.09 <= quiet < 1.0
        assert woken < 2.0
        assert 0.09 <= quiet_again < 1.0
