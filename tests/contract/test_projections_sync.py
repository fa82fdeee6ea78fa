# Generated from test_projections_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Every backend that hosts projections passes the projection contract (sync colour).

The in-memory store, SQLite files, PostgreSQL (its own connection with the xid8 horizon
and with the table lock, and a pool), and SQLAlchemy sessions on SQLite and PostgreSQL.
Each PostgreSQL class works in a schema of its own, emptied before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _postgres_namespace import OwnNamespace
from psycopg_pool import ConnectionPool

from tactica.stores.memory import InMemoryEventStore, InMemoryEventLog
from tactica.stores.postgres import PostgresEventStore, create_schema
from tactica.stores.sqlalchemy import (
    SQLAlchemyConnection,
    SQLAlchemyEventStore,
    sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import Engine, create_engine, sessionmaker
from tactica.stores.sqlite import SQLiteEventStore, SQLiteConnection, create_schema
from tactica.testing import ProjectionContract

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


class TestInMemoryProjections(ProjectionContract):
    def new_store(self) -> Any:
        self.log = InMemoryEventLog()
        return self.another_store()

    def another_store(self) -> Any:
        return InMemoryEventStore(self.log)


class TestSQLiteProjections(ProjectionContract):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> Iterator[None]:
        self.path = tmp_path / "projections.db"
        connection = SQLiteConnection(self.path)
        create_schema(connection)
        connection.close()
        self.stores: list[SQLiteEventStore] = []
        yield
        for store in self.stores:
            store.close()

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        store = SQLiteEventStore(self.path)
        self.stores.append(store)
        return store


class _OwnNamespace(OwnNamespace):
    prefix = "projections"
    tables = TABLES


class TestPostgresProjections(_OwnNamespace, ProjectionContract):
    global_order: ClassVar[Any] = "horizon"
    # Advisory locks are freed when the holder's connection closes, never by a timer;
    # and appends anywhere in the shared test database NOTIFY every listener.
    leases_expire = False
    shared_wakeups = True

    @pytest.fixture(autouse=True)
    def _database(self) -> Iterator[None]:
        self.empty()
        self.stores: list[Any] = []
        yield
        for store in self.stores:
            store.close()

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        store = PostgresEventStore(
            POSTGRES, global_order=self.global_order, namespace=self.namespace
        )
        self.stores.append(store)
        return store


class TestPostgresProjectionsWithTheTableLock(TestPostgresProjections):
    global_order = "table_lock"


class TestPostgresProjectionsOnAPool(TestPostgresProjections):
    @pytest.fixture(autouse=True)
    def _pool(self, _database: None) -> Iterator[None]:
        self.pool = ConnectionPool(POSTGRES, min_size=1, max_size=8, open=False)
        self.pool.open()
        yield
        self.pool.close()

    def another_store(self) -> Any:
        return PostgresEventStore(self.pool, namespace=self.namespace)


class TestSQLAlchemyProjectionsOnSQLite(ProjectionContract):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> Iterator[None]:
        self.engine = self.database(tmp_path)
        yield
        self.engine.dispose()

    def database(self, tmp_path: Path) -> Engine:
        """A new SQLite file with tactica's tables."""
        engine = sqlite_engine(tmp_path / "projections.db")
        with sessionmaker(engine)() as session:
            create_schema(SQLAlchemyConnection(session))
            session.commit()
        return engine

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        return SQLAlchemyEventStore(sessionmaker(self.engine))


class TestSQLAlchemyProjectionsOnPostgres(
    _OwnNamespace, TestSQLAlchemyProjectionsOnSQLite
):
    def database(self, tmp_path: Path) -> Engine:
        """The class's own schema (made in setup_class), emptied, on pooled connections."""
        self.empty()
        return create_engine(
            SQLALCHEMY_POSTGRES, connect_args={"options": f"-csearch_path={self.namespace}"}
        )
