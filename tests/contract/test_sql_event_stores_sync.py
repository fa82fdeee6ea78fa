# Generated from test_sql_event_stores_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQL event stores (sync colour) pass the event-store contract.

SQLite files, PostgreSQL (its own connection and a pool, with the xid8 horizon and with
the table lock), and SQLAlchemy sessions on both databases.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _postgres_namespace import OwnNamespace
from psycopg_pool import ConnectionPool
from sqlalchemy.pool import NullPool

from tactica.stores.postgres import (
    PostgresEventStore,
    create_schema,
)
from tactica.stores.sqlalchemy import SQLAlchemyEventStore, sqlite_engine
from tactica.stores.sqlalchemy._compat import Engine, create_engine, sessionmaker
from tactica.stores.sqlite import SQLiteEventStore, SQLiteConnection, create_schema
from tactica.testing import EventStoreContract

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
SQLALCHEMY_POSTGRES = os.environ.get(
    "TACTICA_TEST_SQLALCHEMY_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class TestSQLiteEventStore(EventStoreContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-events-"))
        self.stores: list[SQLiteEventStore] = []

    def teardown_method(self) -> None:
        self._close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _close(self) -> None:
        for store in self.stores:
            store.close()

    def new_store(self) -> Any:
        self.path = self.directory / f"events-{len(self.stores)}.db"
        # Called from inside the running test: the schema is made with a plain connection.
        connection = SQLiteConnection(self.path)
        create_schema(connection)
        connection.close()
        return self.another_store()

    def another_store(self) -> Any:
        store = SQLiteEventStore(self.path)
        self.stores.append(store)
        return store


class _OwnNamespace(OwnNamespace):
    prefix = "contract"
    tables = ("tactica_events", "tactica_checkpoints", "tactica_snapshots")


class TestPostgresEventStore(_OwnNamespace, EventStoreContract):
    global_order: ClassVar[Any] = "horizon"

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


class TestPostgresEventStoreWithTheTableLock(TestPostgresEventStore):
    global_order = "table_lock"


class TestPostgresEventStoreOnAPool(TestPostgresEventStore):
    @pytest.fixture(autouse=True)
    def _pool(self, _database: None) -> Iterator[None]:
        self.pool = ConnectionPool(POSTGRES, min_size=1, max_size=8, open=False)
        self.pool.open()
        yield
        self.pool.close()

    def another_store(self) -> Any:
        return PostgresEventStore(self.pool, namespace=self.namespace)


class TestSQLAlchemyEventStoreOnSQLite(EventStoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> Iterator[None]:
        self.engine = self.make_engine(tmp_path)
        with sessionmaker(self.engine)() as session:
            from tactica.stores.sqlalchemy import SQLAlchemyConnection

            connection = SQLAlchemyConnection(session)
            create_schema(connection)
            session.commit()
            self.emptied(connection)
            session.commit()
        yield
        self.engine.dispose()

    def make_engine(self, tmp_path: Path) -> Engine:
        return sqlite_engine(tmp_path / "events.db", poolclass=NullPool)

    def emptied(self, connection: Any) -> None:
        """A fresh SQLite file is empty already."""

    def new_store(self) -> Any:
        return self.another_store()

    def another_store(self) -> Any:
        return SQLAlchemyEventStore(sessionmaker(self.engine))


class TestSQLAlchemyEventStoreOnPostgres(_OwnNamespace, TestSQLAlchemyEventStoreOnSQLite):
    def make_engine(self, tmp_path: Path) -> Engine:
        return create_engine(
            SQLALCHEMY_POSTGRES,
            poolclass=NullPool,
            connect_args={"options": f"-csearch_path={self.namespace}"},
        )

    def emptied(self, connection: Any) -> None:
        self.empty()
