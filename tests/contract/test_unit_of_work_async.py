"""Every unit of work (async colour) passes the unit-of-work contract.

In memory, on a SQLite file, on PostgreSQL, and through SQLAlchemy sessions on both.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.pool import NullPool

from tactica import InMemoryDatabase, uuid7
from tactica.stores.memory import AsyncInMemoryUnitOfWork
from tactica.stores.postgres import (
    AsyncPostgresConnection,
    AsyncPostgresDatabase,
    AsyncPostgresUnitOfWork,
)
from tactica.stores.sql import AsyncSQLUnitOfWork
from tactica.stores.sqlalchemy import (
    AsyncSQLAlchemyConnection,
    AsyncSQLAlchemyUnitOfWork,
    async_sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import AsyncEngine, async_create_engine, async_sessionmaker
from tactica.stores.sqlite import (
    AsyncSQLiteConnection,
    AsyncSQLiteDatabase,
    AsyncSQLiteUnitOfWork,
    async_create_schema,
)
from tactica.testing import AsyncUnitOfWorkContract, Product, require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
SQLALCHEMY_POSTGRES = os.environ.get(
    "TACTICA_TEST_SQLALCHEMY_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class MemoryShop(AsyncInMemoryUnitOfWork):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database)
        self.products = self.repository(Product)
        self.archive = self.repository(Product)


class TestAsyncInMemoryUnitOfWork(AsyncUnitOfWorkContract):
    def setup_method(self) -> None:
        self.database = InMemoryDatabase()

    def new_unit_of_work(self) -> Any:
        return MemoryShop(self.database)

    async def outbox_ids(self) -> list[str]:
        return [str(message.message_id) for message in self.database.outbox()]


class _SQLContract(AsyncUnitOfWorkContract):
    """Outbox rows read back through one more unit of work's own connection."""

    async def outbox_ids(self) -> list[str]:
        uow: AsyncSQLUnitOfWork = self.new_unit_of_work()
        async with uow:
            rows = await uow.connection.fetch("SELECT message_id FROM tactica_outbox")
        return [str(row[0]) for row in rows]


class SQLiteShop(AsyncSQLiteUnitOfWork):
    def __init__(self, path: Path | AsyncSQLiteDatabase) -> None:
        super().__init__(path)
        self.products = self.repository(Product)
        self.archive = self.repository(Product)


class TestAsyncSQLiteUnitOfWork(_SQLContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-uow-"))
        self.path = self.directory / "shop.db"
        asyncio.run(self._create())

    async def _create(self) -> None:
        connection = AsyncSQLiteConnection(self.path)
        await async_create_schema(connection)
        await connection.close()

    def teardown_method(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def new_unit_of_work(self) -> Any:
        return SQLiteShop(self.path)


class TestAsyncSQLiteUnitOfWorkOnKeptConnections(TestAsyncSQLiteUnitOfWork):
    """Each unit of work borrows a connection its database keeps open, and gives it back."""

    @pytest_asyncio.fixture(autouse=True)
    async def _database(self) -> AsyncIterator[None]:
        async with AsyncSQLiteDatabase(self.path) as database:
            self.database = database
            yield

    def new_unit_of_work(self) -> Any:
        return SQLiteShop(self.database)


class PostgresShop(AsyncPostgresUnitOfWork):
    def __init__(
        self, source: str | AsyncConnectionPool[Any] | AsyncPostgresDatabase, type_name: str
    ) -> None:
        super().__init__(source)
        self.products = self.repository(Product, type_name=type_name)
        self.archive = self.repository(Product, type_name=type_name)


async def _run(connection: Any, statement: str, parameters: tuple[object, ...] = ()) -> None:
    await connection.execute(statement, parameters)
    await connection.close()


class TestAsyncPostgresUnitOfWork(_SQLContract):
    def setup_method(self) -> None:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        # Rows are keyed by a type name of this test's own, so tests never see each other's.
        self.type_name = f"tests.uow.{uuid7()}"
        asyncio.run(self._create())

    async def _create(self) -> None:
        connection = AsyncPostgresConnection(POSTGRES)
        await async_create_schema(connection)
        await connection.close()

    def teardown_method(self) -> None:
        delete = "DELETE FROM tactica_aggregates WHERE aggregate_type = ?"
        asyncio.run(_run(AsyncPostgresConnection(POSTGRES), delete, (self.type_name,)))

    def new_unit_of_work(self) -> Any:
        return PostgresShop(POSTGRES, self.type_name)


class TestAsyncPostgresUnitOfWorkOnAPool(TestAsyncPostgresUnitOfWork):
    """Each unit of work borrows a pooled connection and gives it back when left."""

    @pytest_asyncio.fixture(autouse=True)
    async def _pool(self) -> AsyncIterator[None]:
        self.pool = AsyncConnectionPool(POSTGRES, min_size=1, max_size=8, open=False)
        await self.pool.open()
        yield
        await self.pool.close()

    def new_unit_of_work(self) -> Any:
        return PostgresShop(self.pool, self.type_name)


class TestAsyncPostgresUnitOfWorkOnADatabase(TestAsyncPostgresUnitOfWork):
    """Each unit of work borrows a connection of the pool its database owns."""

    @pytest_asyncio.fixture(autouse=True)
    async def _database(self) -> AsyncIterator[None]:
        async with AsyncPostgresDatabase(POSTGRES, max_size=4) as database:
            self.database = database
            yield

    def new_unit_of_work(self) -> Any:
        return PostgresShop(self.database, self.type_name)


class SQLAlchemyShop(AsyncSQLAlchemyUnitOfWork):
    def __init__(self, engine: AsyncEngine, type_name: str) -> None:
        super().__init__(async_sessionmaker(engine))
        self.products = self.repository(Product, type_name=type_name)
        self.archive = self.repository(Product, type_name=type_name)


class TestAsyncSQLAlchemyUnitOfWorkOnSQLite(_SQLContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-uow-"))
        self.engine = self.make_engine()
        self.type_name = f"tests.uow.{uuid7()}"
        asyncio.run(self._create())

    def make_engine(self) -> AsyncEngine:
        return async_sqlite_engine(self.directory / "shop.db", poolclass=NullPool)

    async def _create(self) -> None:
        async with async_sessionmaker(self.engine)() as session:
            await async_create_schema(AsyncSQLAlchemyConnection(session))
            await session.commit()

    def teardown_method(self) -> None:
        asyncio.run(self._clean())
        shutil.rmtree(self.directory, ignore_errors=True)

    async def _clean(self) -> None:
        async with async_sessionmaker(self.engine)() as session:
            delete = "DELETE FROM tactica_aggregates WHERE aggregate_type = ?"
            await AsyncSQLAlchemyConnection(session).execute(delete, (self.type_name,))
            await session.commit()
        await self.engine.dispose()

    def new_unit_of_work(self) -> Any:
        return SQLAlchemyShop(self.engine, self.type_name)


class TestAsyncSQLAlchemyUnitOfWorkOnPostgres(TestAsyncSQLAlchemyUnitOfWorkOnSQLite):
    def make_engine(self) -> AsyncEngine:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        return async_create_engine(SQLALCHEMY_POSTGRES, poolclass=NullPool)
