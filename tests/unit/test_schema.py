"""tactica's schema management: idempotent, versioned, and safe when processes race to it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.pool import NullPool

from tactica import uuid7
from tactica.errors import ConfigurationError
from tactica.stores._sql._schema_sync import SCHEMA_VERSION
from tactica.stores.postgres import PostgresConnection
from tactica.stores.postgres import create_schema as create_postgres_schema
from tactica.stores.sqlalchemy import sqlite_engine
from tactica.stores.sqlite import SQLiteConnection, create_schema
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


def _race(workers: int, work: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def run() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _version(connection: Any) -> int:
    rows = connection.fetch("SELECT version FROM tactica_schema WHERE component = 'tactica'")
    return int(rows[0][0])


def test_sqlite_schema_created_by_racing_processes_once_and_versioned(tmp_path: Path) -> None:
    """Four connections creating the schema at once all succeed; the version is recorded."""
    path = tmp_path / "race.db"

    def create() -> None:
        connection = SQLiteConnection(path)
        create_schema(connection)
        connection.close()

    assert _race(4, create) == []
    connection = SQLiteConnection(path)
    assert _version(connection) == SCHEMA_VERSION
    connection.execute("UPDATE tactica_schema SET version = 99")
    with pytest.raises(ConfigurationError, match="newer than this tactica"):
        create_schema(connection)
    connection.close()


def _open_tactica(path: Path) -> None:
    SQLiteConnection(path).close()


def _open_sqlalchemy(path: Path) -> None:
    engine = sqlite_engine(path, poolclass=NullPool)
    with engine.connect():
        pass
    engine.dispose()


@pytest.mark.parametrize("open_and_close", [_open_tactica, _open_sqlalchemy])
def test_sqlite_connections_opening_a_new_file_at_once_never_see_database_is_locked(
    tmp_path: Path, open_and_close: Callable[[Path], None]
) -> None:
    """Eight connections opening one new file at once all switch it to WAL, 20 times over."""
    for round_number in range(20):
        path = tmp_path / f"open-{round_number}.db"
        assert _race(8, lambda path=path: open_and_close(path)) == []
        connection = SQLiteConnection(path)
        assert connection.fetch("PRAGMA journal_mode") == [("wal",)]
        connection.close()


def _postgres_race(namespace: str) -> list[BaseException]:
    def create() -> None:
        connection = PostgresConnection(POSTGRES, namespace=namespace)
        try:
            create_postgres_schema(connection)
        finally:
            connection.close()

    return _race(8, create)


def _drop(namespace: str) -> None:
    admin = PostgresConnection(POSTGRES)
    admin.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
    admin.close()


def test_postgres_schema_created_by_racing_connections_without_catalog_errors() -> None:
    """Eight connections creating a fresh namespace's tables at once: no error, one version."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    namespace = f"race_{uuid7().hex[-12:]}"
    try:
        assert _postgres_race(namespace) == []
        connection = PostgresConnection(POSTGRES, namespace=namespace)
        assert _version(connection) == SCHEMA_VERSION
        connection.close()
    finally:
        _drop(namespace)


def test_without_the_advisory_lock_the_same_race_hits_catalog_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The broken twin skips the lock: concurrent CREATE ... IF NOT EXISTS collide."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    fetch = PostgresConnection.fetch

    def without_lock(self: PostgresConnection, sql: str, parameters: Any = ()) -> Any:
        return [(None,)] if "advisory" in sql else fetch(self, sql, parameters)

    monkeypatch.setattr(PostgresConnection, "fetch", without_lock)
    namespace = f"race_{uuid7().hex[-12:]}"
    try:
        errors = _postgres_race(namespace)
    finally:
        _drop(namespace)
    assert errors, "the unguarded race should have collided in the catalog"
