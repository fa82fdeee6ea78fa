"""The projection contract's safety tests have teeth: each fails against a broken twin.

Each twin is the in-memory event store (or its log) with one guard removed; the contract
tests that guard it must fail against the twin and pass against the real store. That the
twins break nothing else is checked too, so none of them fails for an unrelated reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tactica.errors import TacticaError
from tactica.ports._projection_records import DeadLetter
from tactica.stores.memory import InMemoryEventLog, InMemoryEventStore
from tactica.testing import ProjectionContract


class LogMovingCheckpointsBlindly(InMemoryEventLog):
    """Writes every checkpoint move without comparing: a stale batch is applied again."""

    def _move_checkpoint(self, checkpoint: str, after: int, to: int) -> None:
        self._checkpoints[checkpoint] = to


class LogParkingBeforeTheCheck(InMemoryEventLog):
    """Keeps the dead letter even when the checkpoint had moved on and the park fails."""

    def park(self, checkpoint: str, after: int, letter: DeadLetter, *, generation: int) -> None:
        with self._lock:
            self._dead_letters.setdefault(letter.projection, []).append(letter)
            self._move_checkpoint(checkpoint, after, letter.position)


class LogSwappingWithoutTheCheckpoint(InMemoryEventLog):
    """Swaps the rebuilt read models in but keeps the old live checkpoint."""

    def swap(self, projection: str, generation: int) -> None:
        live = self.checkpoint(projection)
        super().swap(projection, generation)
        with self._lock:
            self._checkpoints[projection] = live


class LogShowingRebuildsEarly(InMemoryEventLog):
    """Points readers at a rebuild's generation as soon as it starts, still empty."""

    def start_rebuild(self, projection: str) -> int:
        generation = super().start_rebuild(projection)
        with self._lock:
            self._generations[projection] = generation
        return generation


class LogIgnoringTheGeneration(InMemoryEventLog):
    """Moves the live checkpoint whatever generation its batch wrote.

    After a swap, a live runner that read the old generation goes on filling read models
    nobody reads.
    """

    def _fence(self, projection: str, checkpoint: str, after: int, generation: int) -> None:
        pass


class LogSwappingBehindTheLiveRunner(InMemoryEventLog):
    """Swaps a rebuild in even when the live runner has applied events it has not."""

    def _applied_between(self, rebuilt: int, live: int) -> bool:
        return False


class LogSharingLeases(InMemoryEventLog):
    """Grants every lease to whoever asks: several runners hold it at once."""

    def take_lease(self, name: str, holder: str, ttl: float) -> bool:
        return True


class _WritingThrough:
    """A batch's transaction that stores each document change at once, not at commit."""

    def __init__(self, tx: Any, log: InMemoryEventLog) -> None:
        self._tx = tx
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    def put(self, collection: str, key: str, document: Any) -> None:
        self._tx.put(collection, key, document)
        self._flush()

    def delete(self, collection: str, key: str) -> None:
        self._tx.delete(collection, key)
        self._flush()

    def _flush(self) -> None:
        with self._log._lock:
            for where, changes in self._tx.staged.items():
                stored = self._log._documents.setdefault(where, {})
                for key, data in changes.items():
                    if data is None:
                        stored.pop(key, None)
                    else:
                        stored[key] = data


class StoreWritingThrough(InMemoryEventStore):
    """Stores documents outside the batch's transaction: a failed or stale batch leaves them."""

    @contextmanager
    def projecting(self, projection: str, **options: Any) -> Iterator[Any]:
        with super().projecting(projection, **options) as tx:
            yield _WritingThrough(tx, self.log)


class _CallingBackAlways:
    """A batch's transaction that keeps every callback, replaying or not."""

    def __init__(self, tx: Any) -> None:
        self._tx = tx
        self.kept: list[Callable[[], object]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    def on_commit(self, callback: Callable[[], object]) -> None:
        self.kept.append(callback)


class StoreCallingBackAlways(InMemoryEventStore):
    """Calls on_commit callbacks however the batch ended, and when replaying too."""

    @contextmanager
    def projecting(self, projection: str, **options: Any) -> Iterator[Any]:
        calls: list[Callable[[], object]] = []
        try:
            with super().projecting(projection, **options) as tx:
                wrapped = _CallingBackAlways(tx)
                calls = wrapped.kept
                yield wrapped
        finally:
            for callback in calls:
                callback()


class Contract(ProjectionContract):
    __test__ = False

    def __init__(
        self,
        log: type[InMemoryEventLog] = InMemoryEventLog,
        store: type[InMemoryEventStore] = InMemoryEventStore,
    ) -> None:
        self.log_type = log
        self.store_type = store

    def new_store(self) -> Any:
        self.log = self.log_type()
        return self.another_store()

    def another_store(self) -> Any:
        return self.store_type(self.log)


SWAPS_UNDER_LIVE_RUNNERS = [
    "test_a_swap_under_a_caught_up_live_runner_loses_no_later_event",
    "test_a_swap_under_a_lagging_live_runner_loses_no_later_event",
    "test_a_live_runner_ahead_of_the_rebuild_at_the_swap_is_caught_up_first",
    "test_a_batch_read_before_the_swap_is_retried_on_the_new_generation",
    "test_a_batch_in_flight_while_the_swap_commits_is_never_lost",
    "test_a_swap_under_a_running_live_runner_loses_no_event",
]

# Twin -> (its parts, the contract tests it must fail, tests whose outcome is left to chance).
TWINS: dict[str, tuple[dict[str, Any], list[str], set[str]]] = {
    "checkpoint moved without compare-and-set": (
        {"log": LogMovingCheckpointsBlindly},
        [
            "test_a_stale_after_is_a_checkpoint_conflict_that_stores_nothing",
            "test_the_first_checkpoint_moves_from_zero_once",
            "test_on_commit_callbacks_run_after_the_commit_and_never_on_a_rollback",
            "test_park_with_a_stale_after_conflicts_and_parks_nothing",
            "test_runners_taking_turns_never_apply_an_event_twice",
        ],
        # Threads racing for real: a double application is likely, not certain.
        {"test_concurrent_runners_never_apply_an_event_twice"},
    ),
    "documents written outside the batch's transaction": (
        {"store": StoreWritingThrough},
        [
            "test_a_handler_error_rolls_back_the_documents_and_the_checkpoint",
            "test_a_stale_after_is_a_checkpoint_conflict_that_stores_nothing",
            "test_the_first_checkpoint_moves_from_zero_once",
            "test_readers_see_a_batch_only_once_it_commits",
            "test_a_bad_collection_or_key_is_refused_before_anything_is_written",
            "test_a_document_that_is_not_json_data_is_refused",
            "test_a_poison_event_stops_the_runner_before_it_under_the_stop_policy",
            "test_a_poison_event_is_parked_after_max_attempts_and_the_runner_goes_on",
            "test_a_transient_failure_succeeds_on_a_later_attempt",
            "test_runners_taking_turns_never_apply_an_event_twice",
        ],
        {"test_concurrent_runners_never_apply_an_event_twice"},
    ),
    "dead letter kept when the park conflicts": (
        {"log": LogParkingBeforeTheCheck},
        ["test_park_with_a_stale_after_conflicts_and_parks_nothing"],
        set(),
    ),
    "swap keeps the old live checkpoint": (
        {"log": LogSwappingWithoutTheCheckpoint},
        [
            "test_readers_see_the_old_generation_until_the_swap_then_only_the_new_one",
            "test_a_swap_under_a_lagging_live_runner_loses_no_later_event",
            "test_a_batch_in_flight_while_the_swap_commits_is_never_lost",
        ],
        set(),
    ),
    "rebuild shown to readers before the swap": (
        {"log": LogShowingRebuildsEarly},
        [
            "test_readers_see_the_old_generation_until_the_swap_then_only_the_new_one",
            "test_a_rebuild_generation_starts_empty_and_without_a_checkpoint",
            "test_a_rebuild_gives_the_live_documents_in_a_new_generation",
            *SWAPS_UNDER_LIVE_RUNNERS,
        ],
        set(),
    ),
    "live checkpoint moved whatever the generation": (
        {"log": LogIgnoringTheGeneration},
        [
            "test_a_swap_under_a_caught_up_live_runner_loses_no_later_event",
            "test_a_batch_read_before_the_swap_is_retried_on_the_new_generation",
            "test_a_live_runner_ahead_of_the_rebuild_at_the_swap_is_caught_up_first",
            "test_a_swap_under_a_running_live_runner_loses_no_event",
        ],
        set(),
    ),
    "swap behind the live runner": (
        {"log": LogSwappingBehindTheLiveRunner},
        ["test_a_live_runner_ahead_of_the_rebuild_at_the_swap_is_caught_up_first"],
        set(),
    ),
    "lease granted to everyone": (
        {"log": LogSharingLeases},
        [
            "test_one_lease_holder_at_a_time_and_a_release_lets_another_take_it",
            "test_an_expired_lease_can_be_taken_over",
        ],
        set(),
    ),
    "callbacks called on rollback and replay": (
        {"store": StoreCallingBackAlways},
        [
            "test_on_commit_callbacks_run_after_the_commit_and_never_on_a_rollback",
            "test_on_commit_callbacks_are_not_called_when_replaying",
            "test_a_rebuild_gives_the_live_documents_in_a_new_generation",
            "test_a_swap_under_a_caught_up_live_runner_loses_no_later_event",
            "test_a_swap_under_a_lagging_live_runner_loses_no_later_event",
            "test_a_live_runner_ahead_of_the_rebuild_at_the_swap_is_caught_up_first",
        ],
        set(),
    ),
}

CASES = [(twin, test) for twin, (_, tests, _) in TWINS.items() for test in tests]
IDS = [f"{twin}: {test}" for twin, test in CASES]


@pytest.mark.parametrize(("twin", "test"), CASES, ids=IDS)
def test_the_safety_test_fails_against_the_broken_twin(twin: str, test: str) -> None:
    """Each guarantee's test catches the store that breaks that guarantee."""
    parts, _, _ = TWINS[twin]
    with pytest.raises((AssertionError, pytest.fail.Exception, TacticaError)):
        getattr(Contract(**parts), test)()


@pytest.mark.parametrize("test", sorted({test for _, test in CASES}))
def test_the_same_test_passes_against_the_real_store(test: str) -> None:
    """The twins differ only in the broken guard: the real store passes the same tests."""
    getattr(Contract(), test)()


@pytest.mark.parametrize("twin", list(TWINS))
def test_every_twin_keeps_the_other_guarantees(twin: str) -> None:
    """A twin breaks one guard only: the contract tests it is not listed for still pass.

    Otherwise a twin could fail its listed tests for some unrelated reason.
    """
    parts, failing, unsettled = TWINS[twin]
    contract_tests = [
        name
        for name in dir(ProjectionContract)
        if name.startswith("test_") and not hasattr(getattr(ProjectionContract, name), "pytestmark")
    ]
    for test in contract_tests:
        if test not in failing and test not in unsettled:
            getattr(Contract(**parts), test)()
