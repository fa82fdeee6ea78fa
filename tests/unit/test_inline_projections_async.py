"""Inline projections (async colour): read models updated inside the unit of work's commit.

On SQLite and PostgreSQL the handlers write their documents in the very transaction that
appends the events and stores the state, so the read model is never behind, and a failing
handler stores nothing at all.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Self, TypeAlias, assert_never

import pytest
import pytest_asyncio

from tactica import uuid7
from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent, EventSourcedAggregate
from tactica.projections import (
    AsyncProjectionRunner,
    AsyncProjectionTransaction,
    Projection,
    handles,
)
from tactica.stores.postgres import (
    AsyncPostgresEventStore,
    AsyncPostgresUnitOfWork,
    PostgresConnection,
)
from tactica.stores.postgres import create_schema as create_postgres_schema
from tactica.stores.sqlalchemy import (
    AsyncSQLAlchemyConnection,
    AsyncSQLAlchemyEventStore,
    AsyncSQLAlchemyUnitOfWork,
    async_sqlite_engine,
)
from tactica.stores.sqlalchemy import async_create_schema as async_create_sqlalchemy_schema
from tactica.stores.sqlalchemy._compat import AsyncEngine, async_create_engine, async_sessionmaker
from tactica.stores.sqlite import (
    AsyncSQLiteEventStore,
    AsyncSQLiteUnitOfWork,
    SQLiteConnection,
    create_schema,
)
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
SQLALCHEMY_POSTGRES = os.environ.get(
    "TACTICA_TEST_SQLALCHEMY_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class Opened(DomainEvent, name="tests.inline.opened"):
    owner: str


class Deposited(DomainEvent, name="tests.inline.deposited"):
    amount: int


AccountEvent: TypeAlias = Opened | Deposited


class Account(EventSourcedAggregate[str, AccountEvent]):
    owner: str
    balance: int = 0

    @classmethod
    def open(cls, account_id: str, owner: str) -> Self:
        account = cls.blank(account_id)
        account.apply(Opened(owner=owner))
        return account

    def deposit(self, amount: int) -> None:
        self.apply(Deposited(amount=amount))

    def evolve(self, event: AccountEvent) -> None:
        match event:
            case Opened(owner=owner):
                self.owner = owner
            case Deposited(amount=amount):
                self.balance += amount
            case _:
                assert_never(event)


class Owners(Projection):
    """Deposits per owner; refuses deposits of 13 to prove that a failure stores nothing."""

    name = "owners"

    def __init__(self) -> None:
        self.committed: list[int] = []

    @handles
    async def opened(self, event: Opened, tx: AsyncProjectionTransaction) -> None:
        await tx.put("owners", event.owner, {"deposits": 0})

    @handles
    async def deposited(self, event: Deposited, tx: AsyncProjectionTransaction) -> None:
        if event.amount == 13:
            msg = "unlucky amount"
            raise ValueError(msg)
        document = await tx.get("owners", "ada")
        await tx.put("owners", "ada", {"deposits": document["deposits"] + event.amount})
        tx.on_commit(lambda: self.committed.append(event.amount))


Factory = Callable[[Owners], Any]


@pytest_asyncio.fixture(params=["sqlite", "postgres", "sqlalchemy-sqlite", "sqlalchemy-postgres"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Factory, Any]]:
    """A unit-of-work factory with inline projections, and an event store on the same data."""
    if request.param == "sqlite":
        path = tmp_path / "inline.db"
        connection = SQLiteConnection(path)
        create_schema(connection)
        connection.close()

        class SQLiteBank(AsyncSQLiteUnitOfWork):
            def __init__(self, projection: Owners) -> None:
                super().__init__(path, inline=[projection])
                self.accounts = self.event_sourced(Account)

        store = AsyncSQLiteEventStore(path)
        yield SQLiteBank, store
        await store.close()
        return
    if request.param == "sqlalchemy-sqlite":
        engine = async_sqlite_engine(tmp_path / "inline.db")
        async with async_sessionmaker(engine)() as session:
            await async_create_sqlalchemy_schema(AsyncSQLAlchemyConnection(session))
            await session.commit()
        async for pair in _sqlalchemy_bank(engine):
            yield pair
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    namespace = f"inline_{uuid7().hex[-12:]}"
    connection = PostgresConnection(POSTGRES, namespace=namespace)
    create_postgres_schema(connection)
    connection.close()

    if request.param == "sqlalchemy-postgres":
        engine = async_create_engine(
            SQLALCHEMY_POSTGRES, connect_args={"options": f"-csearch_path={namespace}"}
        )
        async for pair in _sqlalchemy_bank(engine):
            yield pair
        _drop(namespace)
        return

    class PostgresBank(AsyncPostgresUnitOfWork):
        def __init__(self, projection: Owners) -> None:
            super().__init__(POSTGRES, namespace=namespace, inline=[projection])
            self.accounts = self.event_sourced(Account)

    store = AsyncPostgresEventStore(POSTGRES, namespace=namespace)
    yield PostgresBank, store
    await store.close()
    _drop(namespace)


def _drop(namespace: str) -> None:
    admin = PostgresConnection(POSTGRES)
    admin.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
    admin.close()


async def _sqlalchemy_bank(engine: AsyncEngine) -> AsyncIterator[tuple[Factory, Any]]:
    """A SQLAlchemy unit-of-work factory on `engine` (its schema made), and a store on it."""
    sessions = async_sessionmaker(engine)

    class SQLAlchemyBank(AsyncSQLAlchemyUnitOfWork):
        def __init__(self, projection: Owners) -> None:
            super().__init__(sessions, inline=[projection])
            self.accounts = self.event_sourced(Account)

    yield SQLAlchemyBank, AsyncSQLAlchemyEventStore(sessions)
    await engine.dispose()


@pytest.mark.asyncio
async def test_an_inline_read_model_is_committed_with_the_events(
    backend: tuple[Factory, Any],
) -> None:
    """After a commit, the read model already holds what its events say; callbacks ran."""
    factory, store = backend
    owners = Owners()
    async with factory(owners) as uow:
        account = Account.open("acc-1", "ada")
        account.deposit(5)
        account.deposit(7)
        await uow.accounts.add(account)
        position = await uow.commit()
    assert position == uow.position == (await store.read_all())[-1].position
    assert await store.document("owners", "owners", "ada") == {"deposits": 12}
    assert owners.committed == [5, 7]


@pytest.mark.asyncio
async def test_a_failing_inline_handler_stores_neither_events_nor_read_model(
    backend: tuple[Factory, Any],
) -> None:
    """A handler that raises rolls the whole commit back: no event, no document, no callback."""
    factory, store = backend
    owners = Owners()
    async with factory(owners) as uow:
        account = Account.open("acc-2", "ada")
        account.deposit(1)
        account.deposit(13)
        await uow.accounts.add(account)
        with pytest.raises(ValueError, match="unlucky"):
            await uow.commit()
    assert await store.read_all() == []
    assert await store.document("owners", "owners", "ada") is None
    assert owners.committed == []


@pytest.mark.asyncio
async def test_inline_projections_write_to_the_generation_readers_see(
    backend: tuple[Factory, Any],
) -> None:
    """After a rebuild swapped generation 2 in, inline writes go to generation 2."""
    factory, store = backend
    generation = await store.start_rebuild("owners")
    await store.swap("owners", generation)
    async with factory(Owners()) as uow:
        await uow.accounts.add(Account.open("acc-3", "ada"))
        await uow.commit()
    assert await store.generation("owners") == 2
    assert await store.document("owners", "owners", "ada") == {"deposits": 0}


@pytest.mark.asyncio
async def test_inline_commits_extend_what_a_runner_rebuilt(backend: tuple[Factory, Any]) -> None:
    """After a runner rebuilt an inline projection, later commits write to the rebuilt documents."""
    factory, store = backend
    async with factory(Owners()) as uow:
        account = Account.open("acc-4", "ada")
        account.deposit(5)
        await uow.accounts.add(account)
        await uow.commit()
    codec = JsonCodec(TypeRegistry([Opened, Deposited]))
    assert await AsyncProjectionRunner(store, Owners(), codec=codec).rebuild() == 2
    assert await store.generation("owners") == 2
    assert await store.document("owners", "owners", "ada") == {"deposits": 5}
    async with factory(Owners()) as uow:
        account = await uow.accounts.get("acc-4")
        account.deposit(7)
        await uow.commit()
    assert await store.document("owners", "owners", "ada") == {"deposits": 12}
