"""The unit-of-work contract's safety tests have teeth: each fails against a broken twin.

Each twin is the in-memory unit of work with one guard removed; the contract test that
guards it must fail against the twin and pass against the real one.
"""

from __future__ import annotations

import dataclasses
from types import TracebackType
from typing import Any, Self

import pytest

from tactica import InMemoryDatabase
from tactica.outbox import OutboxMessage, outbox_messages
from tactica.stores.memory import InMemoryUnitOfWork
from tactica.testing import Product, UnitOfWorkContract
from tactica.uow._session import WriteKind


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


class PublishesBeforeStoring(Shop):
    """Hands the events to the bus before the store step, so a failed commit publishes them."""

    def _store(self, outbox: list[OutboxMessage]) -> int:
        self._events.extend(self._pending_events())
        return super()._store(outbox)


class WritesTheOutboxOnRollback(Shop):
    """Writes the pending integration events to the outbox when it rolls back: ghost messages."""

    def rollback(self) -> None:
        self.database.apply([], list(outbox_messages(self._pending_events(), self.codec)))
        super().rollback()


class CommitsOnExit(Shop):
    """Commits when the block is left without commit, instead of rolling back."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._state == "open":
            self.commit()


class ForgetsTheRollback(Shop):
    """Stays open after an explicit rollback, so a later commit is accepted."""

    def rollback(self) -> None:
        state = self._state
        super().rollback()
        self._state = state


class CommitsAgain(Shop):
    """Reopens itself after each commit, so a second commit stores the changes made since."""

    def commit(self) -> int:
        position = super().commit()
        self._state = "open"
        return position


class LastWriterWins(Shop):
    """Writes over whatever version is stored, so a stale unit replaces a newer commit."""

    def _store(self, outbox: list[OutboxMessage]) -> int:
        writes = [(repository, repository.changes()) for repository in self._repositories]
        forced = []
        for _, changes in writes:
            for change in changes:
                stored = self.database.load(change.table, change.aggregate_id)
                if stored is not None and change.kind is not WriteKind.INSERT:
                    change = dataclasses.replace(change, expected_version=stored.version)  # noqa: PLW2901 - the forced write replaces the checked one
                forced.append(change)
        self.database.apply(forced, outbox)
        for repository, changes in writes:
            repository.acknowledge(changes)
        return 0


class Contract(UnitOfWorkContract):
    __test__ = False

    def __init__(self, shop: type[Shop] = Shop) -> None:
        self.shop = shop
        self.database = InMemoryDatabase()

    def new_unit_of_work(self) -> Any:
        return self.shop(self.database)

    def outbox_ids(self) -> list[str]:
        return [str(message.message_id) for message in self.database.outbox()]


TWINS: dict[type[Shop], list[str]] = {
    CommitsEachRepositoryAlone: [
        "test_a_failed_commit_stores_nothing_of_any_repository_and_says_so_on_retry"
    ],
    WritesTheOutboxFirst: ["test_a_failed_commit_writes_no_outbox_message"],
    HandsOutEventsBeforeCommit: [
        "test_events_of_every_touched_aggregate_are_collected_after_commit_in_order"
    ],
    OpensTwice: [
        "test_a_unit_of_work_is_opened_once_and_committed_once",
        "test_entering_an_open_unit_of_work_again_is_refused_and_leaves_it_usable",
        "test_entering_a_committed_rolled_back_or_failed_unit_of_work_is_refused",
    ],
    PublishesBeforeStoring: [
        "test_a_commit_that_loses_a_race_collects_no_event_and_stores_nothing",
        "test_the_bus_publishes_no_event_of_a_commit_that_failed",
    ],
    WritesTheOutboxOnRollback: [
        "test_leaving_without_commit_stores_no_state_no_event_and_no_outbox_row",
        "test_an_exception_in_the_block_rolls_back_and_propagates_unchanged",
        "test_commit_after_an_explicit_rollback_is_refused_and_stores_nothing",
        "test_outbox_rows_exist_exactly_for_the_units_that_committed",
    ],
    CommitsOnExit: [
        "test_leaving_without_commit_stores_no_state_no_event_and_no_outbox_row",
        "test_commit_after_leaving_the_block_is_refused_and_stores_nothing",
        "test_outbox_rows_exist_exactly_for_the_units_that_committed",
    ],
    ForgetsTheRollback: [
        "test_commit_after_an_explicit_rollback_is_refused_and_stores_nothing",
        "test_commit_after_leaving_the_block_is_refused_and_stores_nothing",
    ],
    CommitsAgain: ["test_a_second_commit_is_refused_and_the_first_commits_data_stays"],
    LastWriterWins: [
        "test_of_two_units_changing_one_version_exactly_one_commits_and_no_update_is_lost"
    ],
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
