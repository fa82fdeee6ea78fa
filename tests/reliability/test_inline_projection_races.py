"""Inline projections lose no update when concurrent commits change one shared document.

Eight threads commit deposits to eight different accounts; one inline projection keeps a
single total over all of them, read and written back by every commit. On PostgreSQL
(READ COMMITTED) the commits take turns per projection, on SQLite the write lock orders
them: the total equals the sum of the deposits. The broken twin runs the same handlers
without taking turns, and loses updates on PostgreSQL.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self, TypeAlias, assert_never

import pytest

from tactica import uuid7
from tactica.dataclasses import DomainEvent, EventSourcedAggregate
from tactica.projections import Projection, ProjectionTransaction, handles
from tactica.stores._sql._projections_sync import SQLProjectionTransaction
from tactica.stores.postgres import PostgresConnection, PostgresEventStore, PostgresUnitOfWork
from tactica.stores.postgres import create_schema as create_postgres_schema
from tactica.stores.sqlite import (
    SQLiteConnection,
    SQLiteEventStore,
    SQLiteUnitOfWork,
    create_schema,
)
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
THREADS = 8
COMMITS = 10


class Opened(DomainEvent, name="tests.inline-race.opened"):
    pass


class Deposited(DomainEvent, name="tests.inline-race.deposited"):
    amount: int


AccountEvent: TypeAlias = Opened | Deposited


class Account(EventSourcedAggregate[str, AccountEvent]):
    balance: int = 0

    @classmethod
    def open(cls, account_id: str) -> Self:
        account = cls.blank(account_id)
        account.apply(Opened())
        return account

    def deposit(self, amount: int) -> None:
        self.apply(Deposited(amount=amount))

    def evolve(self, event: AccountEvent) -> None:
        match event:
            case Opened():
                pass
            case Deposited(amount=amount):
                self.balance += amount
            case _:
                assert_never(event)


class Total(Projection):
    """One document for every account: the read-change-write that races."""

    name = "inline-total"

    @handles
    def deposited(self, event: Deposited, tx: ProjectionTransaction) -> None:
        total = tx.get("totals", "all") or 0
        time.sleep(0.002)  # widen the window between the read and the write
        tx.put("totals", "all", total + event.amount)


class WithoutTurns:
    """The broken twin's commit step: the same handlers, no turns taken."""

    connection: Any
    _inline: list[tuple[str, Any]]

    def _project_inline(self, events: Sequence[object]) -> list[Callable[[], object]]:
        for name, handlers in self._inline:
            tx = SQLProjectionTransaction(self.connection, name, 1, replaying=False)
            for event in events:
                handler = handlers.get(type(event))
                if handler is not None:
                    handler(event, tx)
        return []


Factory = Callable[[], Any]


def _factories(kind: str, tmp_path: Path, *, twin: bool) -> Iterator[tuple[Factory, Any]]:
    if kind == "sqlite":
        path = tmp_path / "race.db"
        connection = SQLiteConnection(path)
        create_schema(connection)
        connection.close()
        base: type[Any] = SQLiteUnitOfWork
        arguments: dict[str, Any] = {"path": path}
        store: Any = SQLiteEventStore(path)
    else:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        namespace = f"inline_race_{uuid7().hex[-12:]}"
        connection = PostgresConnection(POSTGRES, namespace=namespace)
        create_postgres_schema(connection)
        connection.close()
        base = PostgresUnitOfWork
        arguments = {"source": POSTGRES, "namespace": namespace}
        store = PostgresEventStore(POSTGRES, namespace=namespace)
    bases = (WithoutTurns, base) if twin else (base,)
    bank = type("Bank", bases, {})

    def new_unit() -> Any:
        unit = bank(**arguments, inline=[Total()])
        unit.accounts = unit.event_sourced(Account)
        return unit

    yield new_unit, store
    store.close()
    if kind != "sqlite":
        admin = PostgresConnection(POSTGRES)
        admin.execute(f'DROP SCHEMA IF EXISTS "{arguments["namespace"]}" CASCADE')
        admin.close()


def _race(new_unit: Factory) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        try:
            barrier.wait()
            with new_unit() as uow:
                uow.accounts.add(Account.open(f"acc-{worker}"))
                uow.commit()
            for _ in range(COMMITS):
                with new_unit() as uow:
                    account = uow.accounts.get(f"acc-{worker}")
                    account.deposit(1)
                    uow.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_concurrent_commits_feeding_one_inline_document_lose_no_update(
    kind: str, tmp_path: Path
) -> None:
    """8 threads x 10 deposits of 1 to their own accounts: the shared total is 80."""
    for new_unit, store in _factories(kind, tmp_path, twin=False):
        assert _race(new_unit) == []
        assert store.document("inline-total", "totals", "all") == THREADS * COMMITS


def test_the_twin_that_takes_no_turns_loses_updates_on_postgres(tmp_path: Path) -> None:
    """Without turns, READ COMMITTED lets concurrent commits overwrite each other's total."""
    for new_unit, store in _factories("postgres", tmp_path, twin=True):
        assert _race(new_unit) == []
        assert store.document("inline-total", "totals", "all") < THREADS * COMMITS
