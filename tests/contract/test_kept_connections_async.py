"""Units of work on a database's kept connections (async colour): reuse, clean hand-over, close.

A kept connection outlives the unit of work that borrowed it, so whatever a unit leaves
open (a transaction begun by hand, a failed commit) must be gone before the next unit
gets the connection, and a database that was closed must refuse new units with the typed
error. On a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tactica import uuid7
from tactica._acompat import async_run_each
from tactica.errors import ConcurrencyError, DatabaseConnectionError
from tactica.stores.postgres import (
    AsyncPostgresConnection,
    AsyncPostgresDatabase,
    AsyncPostgresUnitOfWork,
)
from tactica.stores.sqlite import (
    AsyncSQLiteConnection,
    AsyncSQLiteDatabase,
    AsyncSQLiteUnitOfWork,
    async_create_schema,
)
from tactica.testing import Product, require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)

_INSERT = (
    "INSERT INTO tactica_aggregates (aggregate_type, aggregate_id, version, state)"
    " VALUES (?, ?, 1, ?)"
)
_BUMP = (
    "UPDATE tactica_aggregates SET version = version + 1"
    " WHERE aggregate_type = ? AND aggregate_id = ?"
)
_COUNT = "SELECT count(*) FROM tactica_aggregates WHERE aggregate_type = ?"


class _Boom(Exception):
    pass


class SQLiteShop(AsyncSQLiteUnitOfWork):
    def __init__(self, database: AsyncSQLiteDatabase, type_name: str) -> None:
        super().__init__(database)
        self.products = self.repository(Product, type_name=type_name)


class PostgresShop(AsyncPostgresUnitOfWork):
    def __init__(self, database: AsyncPostgresDatabase, type_name: str) -> None:
        super().__init__(database)
        self.products = self.repository(Product, type_name=type_name)


class _KeptContract:
    """The rules of kept connections, for a backend that says how to tell connections apart."""

    database: Any
    type_name: str

    def shop(self, database: Any = None) -> Any:
        raise NotImplementedError

    async def wide_database(self) -> Any:
        """A database that lends two connections at once."""
        return self.database

    async def identity(self, uow: Any) -> object:
        """Something that differs between two physical connections."""
        raise NotImplementedError

    async def count(self) -> int:
        async with self.shop() as uow:
            rows = await uow.connection.fetch(_COUNT, (self.type_name,))
        return int(rows[0][0])

    @pytest.mark.asyncio
    async def test_units_one_after_another_reuse_one_kept_connection(self) -> None:
        seen = []
        for _ in range(3):
            async with self.shop() as uow:
                seen.append(await self.identity(uow))
        assert seen[0] == seen[1] == seen[2]

    @pytest.mark.asyncio
    async def test_a_transaction_left_open_by_a_failed_block_does_not_reach_the_next_unit(
        self,
    ) -> None:
        async with self.shop() as uow:
            await uow.products.add(Product(id="kept", stock=1))
            await uow.commit()
        first = await self.identity_of_next()
        # A failed commit: the row changed (here by hand) after the unit read it.
        async with self.shop() as stale:
            assert await self.identity(stale) == first
            product = await stale.products.get("kept")
            await stale.connection.execute(_BUMP, (self.type_name, "kept"))
            product.restock(5)
            with pytest.raises(ConcurrencyError):
                await stale.commit()
        # An exception in a block that began a transaction by hand and wrote in it.
        with pytest.raises(_Boom):
            await self.write_by_hand_then_fail()
        async with self.shop() as uow:
            assert await self.identity(uow) == first  # the same kept connection
            rows = await uow.connection.fetch(_COUNT, (self.type_name,))
            assert int(rows[0][0]) == 1  # the half-open write was rolled back
            product = await uow.products.get("kept")
            assert product.stock == 1
            product.restock(1)
            await uow.commit()  # no transaction is open: BEGIN succeeds
        async with self.shop() as uow:
            assert (await uow.products.get("kept")).stock == 2

    async def write_by_hand_then_fail(self) -> None:
        async with self.shop() as uow:
            await uow.connection.begin()
            await uow.connection.execute(_INSERT, (self.type_name, "half-open", b"{}"))
            raise _Boom

    async def identity_of_next(self) -> object:
        async with self.shop() as uow:
            return await self.identity(uow)

    @pytest.mark.asyncio
    async def test_a_unit_of_work_handle_refuses_calls_once_its_unit_was_left(self) -> None:
        async with self.shop() as uow:
            connection = uow.connection
        with pytest.raises(DatabaseConnectionError):
            await connection.fetch(_COUNT, (self.type_name,))

    @pytest.mark.asyncio
    async def test_units_open_at_once_each_get_their_own_connection_and_both_commit(
        self,
    ) -> None:
        wide = await self.wide_database()
        first, second = self.shop(wide), self.shop(wide)
        async with first, second:
            assert await self.identity(first) != await self.identity(second)
            await first.products.add(Product(id="a", stock=1))
            await second.products.add(Product(id="b", stock=1))
            results = await async_run_each([first.commit, second.commit])
            assert not [r for r in results if isinstance(r, BaseException)]
        assert await self.count() == 2

    @pytest.mark.asyncio
    async def test_a_closed_database_refuses_new_units_with_a_connection_error(self) -> None:
        await self.database.close()
        with pytest.raises(DatabaseConnectionError, match="closed"):
            self.shop()
        assert self.database.closed


class TestAsyncSQLiteKeptConnections(_KeptContract):
    @pytest_asyncio.fixture(autouse=True)
    async def _database(self) -> AsyncIterator[None]:
        directory = Path(tempfile.mkdtemp(prefix="tactica-kept-"))
        path = directory / "shop.db"
        connection = AsyncSQLiteConnection(path)
        await async_create_schema(connection)
        await connection.close()
        self.type_name = "tests.kept.product"
        async with AsyncSQLiteDatabase(path) as database:
            self.database = database
            yield
        shutil.rmtree(directory, ignore_errors=True)

    def shop(self, database: Any = None) -> Any:
        return SQLiteShop(database or self.database, self.type_name)

    async def identity(self, uow: Any) -> object:
        return id(uow.connection._connection)

    @pytest.mark.asyncio
    async def test_a_unit_made_before_close_works_and_its_connection_closes_when_left(
        self,
    ) -> None:
        async with self.shop() as uow:
            kept = uow.connection._connection
            await self.database.close()
            await uow.products.add(Product(id="late", stock=1))
            await uow.commit()
        with pytest.raises(DatabaseConnectionError):
            await kept.fetch(_COUNT, (self.type_name,))

    def test_a_database_needs_a_file_not_memory(self) -> None:
        from tactica.errors import ConfigurationError

        with pytest.raises(ConfigurationError, match="memory"):
            AsyncSQLiteDatabase(":memory:")


class TestAsyncPostgresKeptConnections(_KeptContract):
    @pytest_asyncio.fixture(autouse=True)
    async def _database(self) -> AsyncIterator[None]:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        connection = AsyncPostgresConnection(POSTGRES)
        await async_create_schema(connection)
        # Rows are keyed by a type name of this test's own, so tests never see each other's.
        self.type_name = f"tests.kept.{uuid7()}"
        self.wide: AsyncPostgresDatabase | None = None
        async with AsyncPostgresDatabase(POSTGRES, min_size=1, max_size=1) as database:
            self.database = database
            yield
        if self.wide is not None:
            await self.wide.close()
        await connection.execute(
            "DELETE FROM tactica_aggregates WHERE aggregate_type = ?", (self.type_name,)
        )
        await connection.close()

    def shop(self, database: Any = None) -> Any:
        return PostgresShop(database or self.database, self.type_name)

    async def wide_database(self) -> Any:
        # The fixture's pool holds one connection, so that units one after another
        # certainly get the same one; two open at once need a second.
        self.wide = AsyncPostgresDatabase(POSTGRES, max_size=2)
        return self.wide

    async def identity(self, uow: Any) -> object:
        rows = await uow.connection.fetch("SELECT pg_backend_pid()")
        return rows[0][0]

    @pytest.mark.asyncio
    async def test_a_namespace_set_for_one_unit_is_reset_before_the_pool_lends_it_again(
        self,
    ) -> None:
        async with self.shop() as uow:
            default = (await uow.connection.fetch("SHOW search_path"))[0][0]
        async with namespaced_shop(self.database, "public") as uow:
            assert (await uow.connection.fetch("SHOW search_path"))[0][0] == "public"
        async with self.shop() as uow:
            assert (await uow.connection.fetch("SHOW search_path"))[0][0] == default


def namespaced_shop(database: AsyncPostgresDatabase, namespace: str) -> AsyncPostgresUnitOfWork:
    """A unit of work on `database` with tactica's tables in another PostgreSQL schema."""
    return AsyncPostgresUnitOfWork(database, namespace=namespace)
