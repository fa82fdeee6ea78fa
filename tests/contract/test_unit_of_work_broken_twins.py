"""The unit-of-work contract's safety tests have teeth: each fails against a broken twin.

Each twin is the in-memory unit of work with one guard removed; the contract test that
guards it must fail against the twin and pass against the real one.
"""

from __future__ import annotations

from typing import Any, Self

import pytest

from tactica import InMemoryDatabase
from tactica.outbox import OutboxMessage
from tactica.stores.memory import InMemoryUnitOfWork
from tactica.testing import Product, UnitOfWorkContract


class Shop(InMemoryUnitOfWork):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database)
        self.products = self.repository(Product)
        self.archive = self.repository(Product)


class CommitsEachRepositoryAlone(Shop):
    """Stores repository by repository: a conflict in the second leaves the first stored."""

    def _store(self, outbox: list[OutboxMessage]) -> None:
        for repository in self._repositories:
            changes = repository.changes()
            self.database.apply(changes, outbox if repository is self.archive else [])
            repository.acknowledge(changes)


class WritesTheOutboxFirst(Shop):
    """Writes the outbox in its own step before the changes: a failed commit leaves ghosts."""

    def _store(self, outbox: list[OutboxMessage]) -> None:
        self.database.apply([], outbox)
        super()._store([])


class HandsOutEventsBeforeCommit(Shop):
    """Collects events as soon as they are recorded, committed or not."""

    def collect_events(self) -> list[Any]:
        return [
            event
            for repository in self._repositories
            for aggregate in repository.seen
            for event in aggregate.pending_events
        ] or super().collect_events()


class OpensTwice(Shop):
    """Lets a used unit of work be opened again (Cosmic Python's shared-UoW bug)."""

    def __enter__(self) -> Self:
        self._state = "open"
        return self


class Contract(UnitOfWorkContract):
    __test__ = False

    def __init__(self, shop: type[Shop] = Shop) -> None:
        self.shop = shop
        self.database = InMemoryDatabase()

    def new_unit_of_work(self) -> Any:
        return self.shop(self.database)

    def outbox_ids(self) -> set[str]:
        return {str(message.message_id) for message in self.database.outbox()}


TWINS: dict[type[Shop], list[str]] = {
    CommitsEachRepositoryAlone: [
        "test_a_failed_commit_stores_nothing_of_any_repository_and_says_so_on_retry"
    ],
    WritesTheOutboxFirst: ["test_a_failed_commit_writes_no_outbox_message"],
    HandsOutEventsBeforeCommit: [
        "test_events_of_every_touched_aggregate_are_collected_after_commit_in_order"
    ],
    OpensTwice: ["test_a_unit_of_work_is_opened_once_and_committed_once"],
}
CASES = [(twin, test) for twin, tests in TWINS.items() for test in tests]
IDS = [f"{twin.__name__}: {test}" for twin, test in CASES]


@pytest.mark.parametrize(("twin", "test"), CASES, ids=IDS)
def test_the_safety_test_fails_against_the_broken_twin(twin: type[Shop], test: str) -> None:
    """Each guarantee's test catches the unit of work that breaks that guarantee."""
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        getattr(Contract(twin), test)()


@pytest.mark.parametrize(("twin", "test"), CASES, ids=IDS)
def test_the_same_test_passes_against_the_real_unit_of_work(twin: type[Shop], test: str) -> None:
    """The twin differs only in the broken guard: the real unit of work passes the same test."""
    del twin
    getattr(Contract(), test)()
