"""The bank these tests run on, declared once per flavour, and raw access to stored rows.

``Account`` declares ``Opened | Deposited``; ``Refunded`` exists but is not in its union, so
an account that applies one must be refused at commit. ``Booking`` is a decider whose
``Reserved`` is registered and whose ``Cancelled`` is not.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Self, TypeAlias, assert_never

from tactica import JsonCodec, TypeRegistry, uuid7
from tactica.ports import Snapshot
from tactica.stores.postgres import PostgresConnection
from tactica.stores.postgres import create_schema as create_postgres_schema
from tactica.stores.sqlite import SQLiteConnection, create_schema
from tactica.testing import require_service

FLAVOURS = ("dataclasses", "pydantic")
POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


@dataclass(frozen=True)
class Hall:
    """A decider's state: seats still free."""

    free: int = 10


@functools.cache
def bank(flavour_name: str) -> SimpleNamespace:
    """The classes of these tests in the flavour `flavour_name`."""
    flavour = importlib.import_module(f"tactica.{flavour_name}")

    class Opened(flavour.DomainEvent, name="tests.hard.opened"):
        owner: str

    class Deposited(flavour.DomainEvent, name="tests.hard.deposited"):
        amount: int

    class Refunded(flavour.DomainEvent, name="tests.hard.refunded"):
        amount: int

    AccountEvent: TypeAlias = Opened | Deposited

    class Account(flavour.EventSourcedAggregate[str, AccountEvent]):
        owner: str
        balance: int = 0

        @classmethod
        def open(cls, account_id: str, owner: str = "Ada") -> Self:
            account = cls.blank(account_id)
            account.apply(Opened(owner=owner))
            return account

        def deposit(self, amount: int) -> None:
            self.apply(Deposited(amount=amount))

        def refund(self, amount: int) -> None:
            self.apply(Refunded(amount=amount))  # not in the union: must never be stored

        def evolve(self, event: Any) -> None:
            match event:
                case Opened(owner=owner):
                    self.owner = owner
                case Deposited(amount=amount) | Refunded(amount=amount):
                    self.balance += amount
                case _:
                    assert_never(event)

    class Shelf(flavour.AggregateRoot[str]):
        books: int = 0

    class Reserved(flavour.DomainEvent, name="tests.hard.reserved"):
        seats: int

    class Cancelled(flavour.DomainEvent, name="tests.hard.cancelled"):
        seats: int

    class Booking:
        initial_state = Hall()

        def decide(self, command: int, state: Hall) -> list[Any]:
            return [Reserved(seats=command)] if command > 0 else [Cancelled(seats=-command)]

        def evolve(self, state: Hall, event: Any) -> Hall:
            return replace(state, free=state.free - event.seats)

    # Declared in a function, but stored as a module-level class would be: "Account-<id>".
    Account.__qualname__ = "Account"
    Shelf.__qualname__ = "Shelf"
    Booking.__qualname__ = "Booking"
    return SimpleNamespace(
        name=flavour_name,
        flavour=flavour,
        Opened=Opened,
        Deposited=Deposited,
        Refunded=Refunded,
        Account=Account,
        Shelf=Shelf,
        Reserved=Reserved,
        Cancelled=Cancelled,
        Booking=Booking,
        booking_codec=JsonCodec(TypeRegistry([Reserved])),
    )


def sqlite_file(directory: Path) -> Path:
    """Return a new SQLite database file with tactica's schema."""
    path = directory / "bank.db"
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    return path


@contextmanager
def postgres_namespace() -> Iterator[str]:
    """A PostgreSQL schema of its own with tactica's tables, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    namespace = f"tests_hard_{uuid7().hex[-12:]}"
    connection = PostgresConnection(POSTGRES, namespace=namespace)
    create_postgres_schema(connection)
    connection.close()
    try:
        yield namespace
    finally:
        admin = PostgresConnection(POSTGRES)
        admin.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
        admin.close()


class Rows:
    """Raw SQL on the tables of one backend (a SQLite file or a PostgreSQL namespace)."""

    def __init__(self, path: Path | None = None, namespace: str | None = None) -> None:
        self.path = path
        self.namespace = namespace

    def _connect(self) -> Any:
        if self.path is not None:
            return SQLiteConnection(self.path)
        return PostgresConnection(POSTGRES, namespace=self.namespace)

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> None:
        connection = self._connect()
        try:
            connection.execute(sql, parameters)
        finally:
            connection.close()

    def fetch(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        connection = self._connect()
        try:
            return list(connection.fetch(sql, parameters))
        finally:
            connection.close()

    def count(self, table: str) -> int:
        return int(self.fetch(f"SELECT COUNT(*) FROM {table}")[0][0])


def forged_snapshot(model: SimpleNamespace, stream_id: str, version: int, balance: int) -> Snapshot:
    """Return a snapshot that claims `stream_id` is an account at `version` with `balance`."""
    account = model.Account.blank(stream_id.removeprefix("Account-"))
    state = json.loads(JsonCodec().encode(account.fold([model.Opened(owner="Eve")])))
    state.update(version=version, balance=balance)
    name = f"{model.Account.__module__}:{model.Account.__qualname__}"
    return Snapshot(stream_id, version, name, 1, json.dumps(state).encode())
