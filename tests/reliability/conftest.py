"""Fixtures of the reliability tests: the forking server, SQLite files, a throwaway PostgreSQL.

The tests are no package, and the forking server imports the shared harness by name in a
fresh interpreter; putting this directory on the path lets both import the same module.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _throwaway_postgres
import _uow_harness
import pytest

from tactica import uuid7
from tactica.stores.postgres import PostgresConnection, create_schema
from tactica.stores.sqlite import SQLiteConnection


@pytest.fixture(scope="session")
def zygote() -> Iterator[_uow_harness.Zygote]:
    """One child interpreter with tactica imported, which forks the workers tests crash."""
    server = _uow_harness.Zygote()
    yield server
    server.close()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A new SQLite file with tactica's schema."""
    path = tmp_path / "reliability.db"
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    return path


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[_throwaway_postgres.ThrowawayPostgres]:
    """A PostgreSQL server of this session's own: tests may kill its backends."""
    instance = _throwaway_postgres.start()
    try:
        yield instance
    finally:
        _throwaway_postgres.stop(instance)


@pytest.fixture
def postgres_conninfo(throwaway_postgres: _throwaway_postgres.ThrowawayPostgres) -> str:
    """A new database with tactica's schema on the throwaway server."""
    name = f"reliability_{uuid7().hex}"
    admin = PostgresConnection(throwaway_postgres.conninfo)
    admin.execute(f"CREATE DATABASE {name}")
    admin.close()
    conninfo = throwaway_postgres.conninfo.replace("dbname=postgres", f"dbname={name}")
    connection = PostgresConnection(conninfo)
    create_schema(connection)
    connection.close()
    return conninfo
