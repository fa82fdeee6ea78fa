"""Every backend that hosts projections passes the projection contract (async colour).

The in-memory store, SQLite files, PostgreSQL (its own connection with the xid8 horizon
and with the table lock, and a pool), and SQLAlchemy sessions on SQLite and PostgreSQL.
Each PostgreSQL class works in a schema of its own, emptied before each test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest_asyncio
from _postgres_namespace import OwnNamespace
from psycopg_pool import AsyncConnectionPool

from tactica.stores.memory import AsyncInMemoryEventStore, InMemoryEventLog
from tactica.stores.postgres import AsyncPostgresEventStore, async_create_schema
from tactica.stores.sqlalchemy import (
    AsyncSQLAlchemyConnection,
    AsyncSQLAlchemyEventStore,
    async_sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import AsyncEngine, async_create_engine, async_sessionmaker
from tactica.stores.sqlite import AsyncSQLiteEventStore, SQLiteConnection, create_schema
from tactica.testing import AsyncProjectionContract

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
SQLALCHEMY_POSTGRES = os.environ.get(
    "TACTICA_TEST_SQLALCHEMY_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TABLES = (
    "tactica_events",
    "tactica_checkpoints",
    "tactica_projections",
    "tactica_documents",
    "tactica_dead_letters",
    "tactica_leases",
)


class TestAsyncInMemoryProjections(AsyncProjectionContract):
    def new_store(self) -> Any:
        self.log = InMemoryEventLog()
        return self.another_store()

    def another_store(self) -> Any:
        return AsyncInMemoryEventStore(self.log)


class TestAsyncSQLiteProjections(AsyncProjectionContract):
    @pytest_asyncio.fixture(autouse=True)
    async def _database(self, tmp_path: Path) -> AsyncIterator[None]:
        self.path = tmp_path / "projections.db"
        connection = SQLiteConnection(self.path)
        create_schema(connection)
        connection.close()
        self.stores: list[AsyncSQLiteEventStore] = []
        yield
        for store in self.stores:
            await store.close()

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        store = AsyncSQLiteEventStore(self.path)
        self.stores.append(store)
        return store


class _OwnNamespace(OwnNamespace):
    prefix = "projections"
    tables = TABLES


class TestAsyncPostgresProjections(_OwnNamespace, AsyncProjectionContract):
    global_order: ClassVar[Any] = "horizon"
    # Advisory locks are freed when the holder's connection closes, never by a timer;
    # and appends anywhere in the shared test database NOTIFY every listener.
    leases_expire = False
    shared_wakeups = True

    @pytest_asyncio.fixture(autouse=True)
    async def _database(self) -> AsyncIterator[None]:
        self.empty()
        self.stores: list[Any] = []
        yield
        for store in self.stores:
            await store.close()

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        store = AsyncPostgresEventStore(
            POSTGRES, global_order=self.global_order, namespace=self.namespace
        )
        self.stores.append(store)
        return store


class TestAsyncPostgresProjectionsWithTheTableLock(TestAsyncPostgresProjections):
    global_order = "table_lock"


class TestAsyncPostgresProjectionsOnAPool(TestAsyncPostgresProjections):
    @pytest_asyncio.fixture(autouse=True)
    async def _pool(self, _database: None) -> AsyncIterator[None]:
        self.pool = AsyncConnectionPool(POSTGRES, min_size=1, max_size=8, open=False)
        await self.pool.open()
        yield
        await self.pool.close()

    def another_store(self) -> Any:
        return AsyncPostgresEventStore(self.pool, namespace=self.namespace)


class TestAsyncSQLAlchemyProjectionsOnSQLite(AsyncProjectionContract):
    @pytest_asyncio.fixture(autouse=True)
    async def _database(self, tmp_path: Path) -> AsyncIterator[None]:
        self.engine = await self.database(tmp_path)
        yield
        await self.engine.dispose()

    async def database(self, tmp_path: Path) -> AsyncEngine:
        """A new SQLite file with tactica's tables."""
        engine = async_sqlite_engine(tmp_path / "projections.db")
        async with async_sessionmaker(engine)() as session:
            await async_create_schema(AsyncSQLAlchemyConnection(session))
            await session.commit()
        return engine

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        return AsyncSQLAlchemyEventStore(async_sessionmaker(self.engine))


class TestAsyncSQLAlchemyProjectionsOnPostgres(
    _OwnNamespace, TestAsyncSQLAlchemyProjectionsOnSQLite
):
    async def database(self, tmp_path: Path) -> AsyncEngine:
        """The class's own schema (made in setup_class), emptied, on pooled connections."""
        self.empty()
        return async_create_engine(
            SQLALCHEMY_POSTGRES, connect_args={"options": f"-csearch_path={self.namespace}"}
        )
