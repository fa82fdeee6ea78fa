"""The repository contract's safety tests have teeth: they fail against broken backends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from tactica import InMemoryDatabase, InMemoryRepository
from tactica.stores.memory._database import Change, ChangeKind, StoredAggregate
from tactica.testing import RepositoryContract


class DatabaseWithoutVersionChecks(InMemoryDatabase):
    """Applies every change blindly: last writer wins, as with a naive UPDATE."""

    def apply(self, changes: Iterable[Change]) -> None:
        for change in changes:
            rows = self._tables.setdefault(change.table, {})
            if change.kind is ChangeKind.DELETE:
                rows.pop(change.aggregate_id, None)
            else:
                stored = rows.get(change.aggregate_id)
                version = (stored.version if stored else change.expected_version) + 1
                rows[change.aggregate_id] = StoredAggregate(version, change.state)


class ContractOnBrokenDatabase(RepositoryContract):
    __test__ = False

    def setup_method(self) -> None:
        self.database = DatabaseWithoutVersionChecks()

    def new_repository(self) -> Any:
        return InMemoryRepository(self.account_type, self.database)

    def commit(self, repository: Any) -> None:
        repository.commit()


SAFETY_TESTS = [
    "test_a_stale_copy_cannot_overwrite_a_newer_version",
    "test_a_conflict_writes_nothing_of_the_whole_commit",
    "test_adding_an_existing_id_fails_by_commit",
    "test_deleting_a_stale_copy_is_a_conflict",
    "test_concurrent_writers_from_one_version_have_exactly_one_winner",
]


@pytest.mark.parametrize("name", SAFETY_TESTS)
def test_safety_test_fails_against_a_database_without_version_checks(name: str) -> None:
    """Each optimistic-concurrency test of the contract catches a last-writer-wins backend."""
    suite = ContractOnBrokenDatabase()
    suite.setup_method()
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        getattr(suite, name)()


def test_the_same_tests_pass_against_the_real_database() -> None:
    """The twin differs only in the guard: the real database passes the same tests."""
    suite = ContractOnBrokenDatabase()
    for name in SAFETY_TESTS:
        suite.database = InMemoryDatabase()
        getattr(suite, name)()
