"""The repository contract's safety tests have teeth: each fails against a broken backend.

Every twin below breaks exactly one guarantee of the real in-memory backend. The contract
tests that guard that guarantee must fail against the twin and pass against the real one.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from tactica import InMemoryDatabase, InMemoryRepository
from tactica.stores.memory import _repository_sync
from tactica.stores.memory._database import Change, StoredAggregate, _check
from tactica.stores.memory._state import structure
from tactica.testing import RepositoryContract
from tactica.uow._session import SessionTracker, WriteKind


class DatabaseWithoutVersionChecks(InMemoryDatabase):
    """Applies every change blindly: last writer wins, as with a naive UPDATE."""

    def apply(self, changes: Iterable[Change]) -> None:
        for change in changes:
            rows = self._tables.setdefault(change.table, {})
            if change.kind is WriteKind.DELETE:
                rows.pop(change.aggregate_id, None)
            else:
                stored = rows.get(change.aggregate_id)
                version = (stored.version if stored else change.expected_version) + 1
                rows[change.aggregate_id] = StoredAggregate(version, change.state)


def _apply_one(database: InMemoryDatabase, change: Change) -> None:
    rows = database._tables.setdefault(change.table, {})
    _check(change, rows.get(change.aggregate_id))
    if change.kind is WriteKind.DELETE:
        rows.pop(change.aggregate_id, None)
    else:
        rows[change.aggregate_id] = StoredAggregate(change.expected_version + 1, change.state)


class NonAtomicDatabase(InMemoryDatabase):
    """Checks and applies one change at a time: a conflict leaves earlier changes applied."""

    def apply(self, changes: Iterable[Change]) -> None:
        with self._lock:
            for change in changes:
                _apply_one(self, change)


class UnlockedDatabase(InMemoryDatabase):
    """Checks every change, then applies them, with no lock between the check and the write."""

    def apply(self, changes: Iterable[Change]) -> None:
        changes = list(changes)
        for change in changes:
            rows = self._tables.setdefault(change.table, {})
            _check(change, rows.get(change.aggregate_id))
        time.sleep(0.005)  # the window a real database closes with a transaction
        for change in changes:
            rows = self._tables.setdefault(change.table, {})
            if change.kind is WriteKind.DELETE:
                rows.pop(change.aggregate_id, None)
            else:
                rows[change.aggregate_id] = StoredAggregate(
                    change.expected_version + 1, change.state
                )


class RepositoryTrustingTheVersionAttribute(InMemoryRepository[Any, Any]):
    """Takes the expected version from the aggregate's own, writable, `version`."""

    def changes(self) -> list[Change]:
        for aggregate_id, aggregate in self.tracker.identity_map.items():
            self.tracker.versions[aggregate_id] = aggregate.version
        return super().changes()


class TrackerCountingPendingEvents(SessionTracker[Any]):
    """Sees a change whenever the number of pending events moved, pulls included."""

    def changed(self, aggregate_id: Any, aggregate: Any) -> bool:
        known = self._pending_seen.get(aggregate_id, frozenset())
        moved = len(aggregate.pending_events) != len(known)
        return moved or super().changed(aggregate_id, aggregate)


class RepositoryCountingPendingEvents(InMemoryRepository[Any, Any]):
    """Uses the tracker above."""

    def __init__(self, aggregate_type: type[Any], database: InMemoryDatabase) -> None:
        super().__init__(aggregate_type, database)
        self.tracker = TrackerCountingPendingEvents(structure)


class Contract(RepositoryContract):
    __test__ = False
    concurrent_rounds = 3

    def __init__(
        self,
        database: Callable[[], InMemoryDatabase] = InMemoryDatabase,
        repository: Callable[..., Any] = InMemoryRepository,
    ) -> None:
        self.make_database = database
        self.make_repository = repository
        self.database = database()

    def new_repository(self) -> Any:
        return self.make_repository(self.account_type, self.database)

    def commit(self, repository: Any) -> None:
        repository.commit()


def _aliasing(value: Any) -> Any:
    return value


TWINS: dict[str, tuple[dict[str, Any], Callable[[Any], Any] | None, list[str]]] = {
    "no version checks": (
        {"database": DatabaseWithoutVersionChecks},
        None,
        [
            "test_a_stale_copy_cannot_overwrite_a_newer_version",
            "test_a_conflict_writes_nothing_of_the_whole_commit",
            "test_adding_an_existing_id_fails_by_commit",
            "test_deleting_a_stale_copy_is_a_conflict",
            "test_concurrent_writers_from_one_version_have_exactly_one_winner",
        ],
    ),
    "not atomic": (
        {"database": NonAtomicDatabase},
        None,
        ["test_a_conflict_writes_nothing_of_the_whole_commit"],
    ),
    "no lock around check and write": (
        {"database": UnlockedDatabase},
        None,
        ["test_concurrent_writers_from_one_version_have_exactly_one_winner"],
    ),
    "expected version from the aggregate": (
        {"repository": RepositoryTrustingTheVersionAttribute},
        None,
        ["test_the_expected_version_is_the_one_read_not_the_aggregates_attribute"],
    ),
    "pulling events counted as a change": (
        {"repository": RepositoryCountingPendingEvents},
        None,
        ["test_pulling_events_after_a_commit_is_not_a_change"],
    ),
    "stores and hands out the same objects": (
        {},
        _aliasing,
        [
            "test_sessions_never_share_objects",
            "test_changing_a_nested_part_of_a_loaded_copy_changes_nothing_stored",
            "test_changing_an_added_aggregate_after_commit_changes_nothing_stored",
        ],
    ),
    "shallow copies": (
        {},
        copy.copy,
        [
            "test_changing_a_nested_part_of_a_loaded_copy_changes_nothing_stored",
            "test_changing_an_added_aggregate_after_commit_changes_nothing_stored",
        ],
    ),
}

CASES = [(twin, test) for twin, (_, _, tests) in TWINS.items() for test in tests]


@pytest.mark.parametrize(("twin", "test"), CASES, ids=[f"{t}: {n}" for t, n in CASES])
def test_the_safety_test_fails_against_the_broken_twin(
    twin: str, test: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each guarantee's test catches the backend that breaks that guarantee."""
    parts, copier, _ = TWINS[twin]
    if copier is not None:
        monkeypatch.setattr(_repository_sync, "detached_copy", copier)
    suite = Contract(**parts)
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        getattr(suite, test)()


@pytest.mark.parametrize(("twin", "test"), CASES, ids=[f"{t}: {n}" for t, n in CASES])
def test_the_same_test_passes_against_the_real_backend(twin: str, test: str) -> None:
    """The twin differs only in the broken guard: the real backend passes the same test."""
    getattr(Contract(), test)()
