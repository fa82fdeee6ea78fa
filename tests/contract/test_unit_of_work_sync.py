# Generated from test_unit_of_work_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Every unit of work (sync colour) passes the unit-of-work contract.

In memory, on a SQLite file, on PostgreSQL, and through SQLAlchemy sessions on both.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import ConnectionPool
from sqlalchemy.pool import NullPool

from tactica import InMemoryDatabase, uuid7
from tactica.stores.memory import InMemoryUnitOfWork
from tactica.stores.postgres import (
    PostgresConnection,
    PostgresDatabase,
    PostgresUnitOfWork,
)
from tactica.stores.sql import SQLUnitOfWork
from tactica.stores.sqlalchemy import (
    SQLAlchemyConnection,
    SQLAlchemyUnitOfWork,
    sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import Engine, create_engine, sessionmaker
from tactica.stores.sqlite import (
    SQLiteConnection,
    SQLiteDatabase,
    SQLiteUnitOfWork,
    create_schema,
)
from tactica.testing import UnitOfWorkContract, Product, require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
SQLALCHEMY_POSTGRES = os.environ.get(
    "TACTICA_TEST_SQLALCHEMY_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class MemoryShop(InMemoryUnitOfWork):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database)
        self.products = self.repository(Product)
        self.archive = self.repository(Product)


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    def setup_method(self) -> None:
        self.database = InMemoryDatabase()

    def new_unit_of_work(self) -> Any:
        return MemoryShop(self.database)

    def outbox_ids(self) -> list[str]:
        return [str(message.message_id) for message in self.database.outbox()]


class _SQLContract(UnitOfWorkContract):
    """Outbox rows read back through one more unit of work's own connection."""

    def outbox_ids(self) -> list[str]:
        uow: SQLUnitOfWork = self.new_unit_of_work()
        with uow:
            rows = uow.connection.fetch("SELECT message_id FROM tactica_outbox")
        return [str(row[0]) for row in rows]


class SQLiteShop(SQLiteUnitOfWork):
    def __init__(self, path: Path | SQLiteDatabase) -> None:
        super().__init__(path)
        self.products = self.repository(Product)
        self.archive = self.repository(Product)


class TestSQLiteUnitOfWork(_SQLContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-uow-"))
        self.path = self.directory / "shop.db"
        self._create()

    def _create(self) -> None:
        connection = SQLiteConnection(self.path)
        create_schema(connection)
        connection.close()

    def teardown_method(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def new_unit_of_work(self) -> Any:
        return SQLiteShop(self.path)


class TestSQLiteUnitOfWorkOnKeptConnections(TestSQLiteUnitOfWork):
    """Each unit of work borrows a connection its database keeps open, and gives it back."""

    @pytest.fixture(autouse=True)
    def _database(self) -> Iterator[None]:
        with SQLiteDatabase(self.path) as database:
            self.database = database
            yield

    def new_unit_of_work(self) -> Any:
        return SQLiteShop(self.database)


class PostgresShop(PostgresUnitOfWork):
    def __init__(
        self, source: str | ConnectionPool[Any] | PostgresDatabase, type_name: str
    ) -> None:
        super().__init__(source)
        self.products = self.repository(Product, type_name=type_name)
        self.archive = self.repository(Product, type_name=type_name)


def _run(connection: Any, statement: str, parameters: tuple[object, ...] = ()) -> None:
    connection.execute(statement, parameters)
    connection.close()


class TestPostgresUnitOfWork(_SQLContract):
    def setup_method(self) -> None:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        # Rows are keyed by a type name of this test's own, so tests never see each other's.
        self.type_name = f"tests.uow.{uuid7()}"
        self._create()

    def _create(self) -> None:
        connection = PostgresConnection(POSTGRES)
        create_schema(connection)
        connection.close()

    def teardown_method(self) -> None:
        delete = "DELETE FROM tactica_aggregates WHERE aggregate_type = ?"
        _run(PostgresConnection(POSTGRES), delete, (self.type_name,))

    def new_unit_of_work(self) -> Any:
        return PostgresShop(POSTGRES, self.type_name)


class TestPostgresUnitOfWorkOnAPool(TestPostgresUnitOfWork):
    """Each unit of work borrows a pooled connection and gives it back when left."""

    @pytest.fixture(autouse=True)
    def _pool(self) -> Iterator[None]:
        self.pool = ConnectionPool(POSTGRES, min_size=1, max_size=8, open=False)
        self.pool.open()
        yield
        self.pool.close()

    def new_unit_of_work(self) -> Any:
        return PostgresShop(self.pool, self.type_name)


class TestPostgresUnitOfWorkOnADatabase(TestPostgresUnitOfWork):
    """Each unit of work borrows a connection of the pool its database owns."""

    @pytest.fixture(autouse=True)
    def _database(self) -> Iterator[None]:
        with PostgresDatabase(POSTGRES, max_size=4) as database:
            self.database = database
            yield

    def new_unit_of_work(self) -> Any:
        return PostgresShop(self.database, self.type_name)


class SQLAlchemyShop(SQLAlchemyUnitOfWork):
    def __init__(self, engine: Engine, type_name: str) -> None:
        super().__init__(sessionmaker(engine))
        self.products = self.repository(Product, type_name=type_name)
        self.archive = self.repository(Product, type_name=type_name)


class TestSQLAlchemyUnitOfWorkOnSQLite(_SQLContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-uow-"))
        self.engine = self.make_engine()
        self.type_name = f"tests.uow.{uuid7()}"
        self._create()

    def make_engine(self) -> Engine:
        return sqlite_engine(self.directory / "shop.db", poolclass=NullPool)

    def _create(self) -> None:
        with sessionmaker(self.engine)() as session:
            create_schema(SQLAlchemyConnection(session))
            session.commit()

    def teardown_method(self) -> None:
        self._clean()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _clean(self) -> None:
        with sessionmaker(self.engine)() as session:
            delete = "DELETE FROM tactica_aggregates WHERE aggregate_type = ?"
            SQLAlchemyConnection(session).execute(delete, (self.type_name,))
            session.commit()
        self.engine.dispose()

    def new_unit_of_work(self) -> Any:
        return SQLAlchemyShop(self.engine, self.type_name)


class TestSQLAlchemyUnitOfWorkOnPostgres(TestSQLAlchemyUnitOfWorkOnSQLite):
    def make_engine(self) -> Engine:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        return create_engine(SQLALCHEMY_POSTGRES, poolclass=NullPool)
