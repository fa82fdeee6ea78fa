"""Inline projections (async colour): read models updated inside the unit of work's commit.

On SQLite and PostgreSQL the handlers write their documents in the very transaction that
appends the events and stores the state, so the read model is never behind, and a failing
handler stores nothing at all. The in-memory unit of work takes the same projections and
writes the same documents, atomically with its state and outbox.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, NamedTuple, Self, TypeAlias, assert_never

import pytest
import pytest_asyncio

from tactica import uuid7
from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import AggregateRoot, DomainEvent, EventSourcedAggregate
from tactica.projections import (
    AsyncProjectionRunner,
    AsyncProjectionTransaction,
    Projection,
    handles,
)
from tactica.stores.memory import AsyncInMemoryEventStore, AsyncInMemoryUnitOfWork, InMemoryDatabase
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

SQL_BACKENDS = ["sqlite", "postgres", "sqlalchemy-sqlite", "sqlalchemy-postgres"]


class Backend(NamedTuple):
    """A unit-of-work factory with inline projections, and an event store on the same data."""

    factory: Factory
    store: Any
    events_stored: bool
    """Whether the unit appends its events to `store` (the in-memory one stores state)."""


@pytest_asyncio.fixture(params=["memory", *SQL_BACKENDS])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Every backend whose unit of work takes inline projections."""
    async for opened in _open(request.param, tmp_path):
        yield opened


@pytest_asyncio.fixture(params=SQL_BACKENDS)
async def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The backends whose unit of work appends events a runner can rebuild from."""
    async for opened in _open(request.param, tmp_path):
        yield opened


async def _open(name: str, tmp_path: Path) -> AsyncIterator[Backend]:
    async for factory, store in _factories(name, tmp_path):
        yield Backend(factory, store, events_stored=name != "memory")


async def _factories(name: str, tmp_path: Path) -> AsyncIterator[tuple[Factory, Any]]:
    if name == "memory":
        database = InMemoryDatabase()

        class MemoryBank(AsyncInMemoryUnitOfWork):
            def __init__(self, projection: Owners) -> None:
                super().__init__(database, inline=[projection])
                self.accounts = self.repository(Account)

        yield MemoryBank, AsyncInMemoryEventStore(database.log)
        return
    if name == "sqlite":
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
    if name == "sqlalchemy-sqlite":
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

    if name == "sqlalchemy-postgres":
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
async def test_an_inline_read_model_is_committed_with_the_events(backend: Backend) -> None:
    """After a commit, the read model already holds what its events say; callbacks ran."""
    factory, store, events_stored = backend
    owners = Owners()
    async with factory(owners) as uow:
        account = Account.open("acc-1", "ada")
        account.deposit(5)
        account.deposit(7)
        await uow.accounts.add(account)
        position = await uow.commit()
    stored = await store.read_all()
    assert position == uow.position == (stored[-1].position if events_stored else 0)
    assert len(stored) == (3 if events_stored else 0)
    assert await store.document("owners", "owners", "ada") == {"deposits": 12}
    assert owners.committed == [5, 7]


@pytest.mark.asyncio
async def test_a_failing_inline_handler_stores_neither_events_nor_read_model(
    backend: Backend,
) -> None:
    """A handler that raises rolls the whole commit back: no event, no document, no callback."""
    factory, store, _ = backend
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
    async with factory(Owners()) as uow:
        assert await uow.accounts.find("acc-2") is None


@pytest.mark.asyncio
async def test_inline_projections_write_to_the_generation_readers_see(backend: Backend) -> None:
    """After a rebuild swapped generation 2 in, inline writes go to generation 2."""
    factory, store, _ = backend
    generation = await store.start_rebuild("owners")
    await store.swap("owners", generation)
    async with factory(Owners()) as uow:
        await uow.accounts.add(Account.open("acc-3", "ada"))
        await uow.commit()
    assert await store.generation("owners") == 2
    assert await store.document("owners", "owners", "ada") == {"deposits": 0}


@pytest.mark.asyncio
async def test_inline_commits_extend_what_a_runner_rebuilt(sql_backend: Backend) -> None:
    """After a runner rebuilt an inline projection, later commits write to the rebuilt documents."""
    factory, store, _ = sql_backend
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


class Mailed(DomainEvent, name="tests.inline.mailed", integration=True):
    to: str


class Mailbox(AggregateRoot[str]):
    sent: int = 0

    def mail(self, to: str) -> None:
        self.sent += 1
        self.record(Mailed(to=to))


class Refusing(Projection):
    """Refuses mail to "eve"; counts the rest per recipient."""

    name = "mail"

    @handles
    async def mailed(self, event: Mailed, tx: AsyncProjectionTransaction) -> None:
        if event.to == "eve":
            msg = "no mail to eve"
            raise ValueError(msg)
        document = await tx.get("sent", event.to) or {"count": 0}
        await tx.put("sent", event.to, {"count": document["count"] + 1})


class Post(AsyncInMemoryUnitOfWork):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database, inline=[Refusing()])
        self.boxes = self.repository(Mailbox)


@pytest.mark.asyncio
async def test_a_failing_memory_inline_handler_stores_no_state_no_document_no_outbox() -> None:
    """In memory, a raising handler leaves aggregates, documents and outbox as they were."""
    database = InMemoryDatabase()
    store = AsyncInMemoryEventStore(database.log)
    async with Post(database) as uow:
        box = Mailbox(id="box-1")
        box.mail("ada")
        await uow.boxes.add(box)
        await uow.commit()
    async with Post(database) as uow:
        box = await uow.boxes.get("box-1")
        box.mail("bob")
        box.mail("eve")
        with pytest.raises(ValueError, match="eve"):
            await uow.commit()
    async with Post(database) as uow:
        assert (await uow.boxes.get("box-1")).sent == 1
    assert await store.documents("mail", "sent") == {"ada": {"count": 1}}
    assert [message.type_name for message in database.outbox()] == ["tests.inline.mailed"]
