"""The SQL event stores (async colour) pass the event-store contract.

SQLite files, PostgreSQL (its own connection and a pool, with the xid8 horizon and with
the table lock), and SQLAlchemy sessions on both databases.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest_asyncio
from _postgres_namespace import OwnNamespace
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.pool import NullPool

from tactica.stores.postgres import (
    AsyncPostgresEventStore,
    async_create_schema,
)
from tactica.stores.sqlalchemy import AsyncSQLAlchemyEventStore, async_sqlite_engine
from tactica.stores.sqlalchemy._compat import AsyncEngine, async_create_engine, async_sessionmaker
from tactica.stores.sqlite import AsyncSQLiteEventStore, SQLiteConnection, create_schema
from tactica.testing import AsyncEventStoreContract

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
SQLALCHEMY_POSTGRES = os.environ.get(
    "TACTICA_TEST_SQLALCHEMY_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class TestAsyncSQLiteEventStore(AsyncEventStoreContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-events-"))
        self.stores: list[AsyncSQLiteEventStore] = []

    def teardown_method(self) -> None:
        asyncio.run(self._close())
        shutil.rmtree(self.directory, ignore_errors=True)

    async def _close(self) -> None:
        for store in self.stores:
            await store.close()

    def new_store(self) -> Any:
        self.path = self.directory / f"events-{len(self.stores)}.db"
        # Called from inside the running test: the schema is made with a plain connection.
        connection = SQLiteConnection(self.path)
        create_schema(connection)
        connection.close()
        return self.another_store()

    def another_store(self) -> Any:
        store = AsyncSQLiteEventStore(self.path)
        self.stores.append(store)
        return store


class _OwnNamespace(OwnNamespace):
    prefix = "contract"
    tables = ("tactica_events", "tactica_checkpoints", "tactica_snapshots")


class TestAsyncPostgresEventStore(_OwnNamespace, AsyncEventStoreContract):
    global_order: ClassVar[Any] = "horizon"

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


class TestAsyncPostgresEventStoreWithTheTableLock(TestAsyncPostgresEventStore):
    global_order = "table_lock"


class TestAsyncPostgresEventStoreOnAPool(TestAsyncPostgresEventStore):
    @pytest_asyncio.fixture(autouse=True)
    async def _pool(self, _database: None) -> AsyncIterator[None]:
        self.pool = AsyncConnectionPool(POSTGRES, min_size=1, max_size=8, open=False)
        await self.pool.open()
        yield
        await self.pool.close()

    def another_store(self) -> Any:
        return AsyncPostgresEventStore(self.pool, namespace=self.namespace)


class TestAsyncSQLAlchemyEventStoreOnSQLite(AsyncEventStoreContract):
    @pytest_asyncio.fixture(autouse=True)
    async def _database(self, tmp_path: Path) -> AsyncIterator[None]:
        self.engine = self.make_engine(tmp_path)
        async with async_sessionmaker(self.engine)() as session:
            from tactica.stores.sqlalchemy import AsyncSQLAlchemyConnection

            connection = AsyncSQLAlchemyConnection(session)
            await async_create_schema(connection)
            await session.commit()
            await self.emptied(connection)
            await session.commit()
        yield
        await self.engine.dispose()

    def make_engine(self, tmp_path: Path) -> AsyncEngine:
        return async_sqlite_engine(tmp_path / "events.db", poolclass=NullPool)

    async def emptied(self, connection: Any) -> None:
        """A fresh SQLite file is empty already."""

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        return AsyncSQLAlchemyEventStore(async_sessionmaker(self.engine))


class TestAsyncSQLAlchemyEventStoreOnPostgres(_OwnNamespace, TestAsyncSQLAlchemyEventStoreOnSQLite):
    def make_engine(self, tmp_path: Path) -> AsyncEngine:
        return async_create_engine(
            SQLALCHEMY_POSTGRES,
            poolclass=NullPool,
            connect_args={"options": f"-csearch_path={self.namespace}"},
        )

    async def emptied(self, connection: Any) -> None:
        self.empty()
