# Generated from test_store_errors_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""No driver error reaches a caller (sync colour): each becomes a typed tactica error.

Lock timeouts, a missing schema, a unit of work used after its block, rows changed outside
tactica, a session in another time zone and an exhausted pool, on real SQLite files and
PostgreSQL.
"""

from __future__ import annotations

import gc
import math
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from tactica import uuid7
from tactica.dataclasses import AggregateRoot
from tactica.errors import (
    ConfigurationError,
    ConstraintViolationError,
    DatabaseConnectionError,
    LockTimeoutError,
    SchemaMissingError,
    StoredDataError,
)
from tactica.stores.postgres import (
    PostgresConnection,
    PostgresEventStore,
    PostgresUnitOfWork,
    PostgresConnection,
    create_schema,
)
from tactica.stores.sqlalchemy import SQLAlchemyUnitOfWork, sqlite_engine
from tactica.stores.sqlalchemy._compat import sessionmaker
from tactica.stores.sqlite import (
    SQLiteConnection,
    SQLiteEventStore,
    SQLiteUnitOfWork,
    SQLiteConnection,
    create_schema,
)
from tactica.testing import new_event, require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


class Counter(AggregateRoot[str]):
    value: int = 0


def _sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.db"
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    return path


@pytest.fixture
def namespace() -> Iterator[str]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"errors_{uuid7().hex[-12:]}"
    connection = PostgresConnection(POSTGRES, namespace=name)
    create_schema(connection)
    connection.close()
    yield name
    admin = PostgresConnection(POSTGRES)
    admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    admin.close()


class SQLiteCounters(SQLiteUnitOfWork):
    def __init__(self, path: Path, **options: Any) -> None:
        super().__init__(path, **options)
        self.counters = self.repository(Counter)


class PostgresCounters(PostgresUnitOfWork):
    def __init__(self, source: Any, namespace: str) -> None:
        super().__init__(source, namespace=namespace)
        self.counters = self.repository(Counter)


def test_a_sqlite_writer_blocked_past_its_busy_timeout_gets_a_lock_timeout(
    tmp_path: Path,
) -> None:
    """Another connection holds the write lock: LockTimeoutError, nothing stored."""
    path = _sqlite_file(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = SQLiteEventStore(path, busy_timeout=0.1)
    with pytest.raises(LockTimeoutError, match="busy timeout"):
        store.append("s", [new_event()])
    with SQLiteCounters(path, busy_timeout=0.1) as uow:
        uow.counters.add(Counter(id="c"))
        with pytest.raises(LockTimeoutError, match=r"0\.1 s"):
            uow.commit()
    holder.execute("ROLLBACK")
    holder.close()
    assert store.read("s") == []
    store.append("s", [new_event()])
    store.close()


@pytest.mark.parametrize("timeout", [-1, "1", True, math.inf, math.nan, None])
def test_a_busy_timeout_that_is_not_a_finite_number_of_seconds_is_refused(
    tmp_path: Path, timeout: object
) -> None:
    """busy_timeout takes seconds >= 0: anything else is a ConfigurationError at once."""
    with pytest.raises(ConfigurationError, match="busy_timeout"):
        SQLiteConnection(tmp_path / "x.db", busy_timeout=timeout)  # type: ignore[arg-type]


def test_a_sqlite_database_without_tactica_s_tables_says_which_call_creates_them(
    tmp_path: Path,
) -> None:
    """Forgetting create_schema is a SchemaMissingError naming it, on every kind of use."""
    store = SQLiteEventStore(tmp_path / "empty.db")
    calls = [
        lambda: store.append("s", [new_event()]),
        lambda: store.read("s"),
        store.read_all,
        lambda: store.checkpoint("c"),
        lambda: store.load_snapshot("s"),
    ]
    for call in calls:
        with pytest.raises(SchemaMissingError, match=r"tactica\.stores\.sqlite\.create_schema"):
            call()
    store.close()
    with SQLiteCounters(tmp_path / "empty.db") as uow:
        with pytest.raises(SchemaMissingError, match="create_schema"):
            uow.counters.find("c")


def test_a_postgres_namespace_without_tactica_s_tables_says_which_call_creates_them() -> None:
    """A namespace never set up is a SchemaMissingError naming create_schema and namespace."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    nowhere = f"missing_{uuid7().hex[-12:]}"
    store = PostgresEventStore(POSTGRES, namespace=nowhere)
    for call in (lambda: store.append("s", [new_event()]), store.read_all):
        with pytest.raises(SchemaMissingError, match="same namespace"):
            call()
    store.close()
    with PostgresCounters(POSTGRES, nowhere) as uow:
        with pytest.raises(SchemaMissingError, match=r"tactica\.stores\.postgres"):
            uow.counters.find("c")


def test_a_sqlite_unit_of_work_used_after_its_block_says_it_was_closed(
    tmp_path: Path,
) -> None:
    """Its repositories raise DatabaseConnectionError, as on PostgreSQL, never sqlite3's."""
    path = _sqlite_file(tmp_path)
    with SQLiteCounters(path) as uow:
        pass
    with pytest.raises(DatabaseConnectionError, match="was closed"):
        uow.counters.find("c")
    uow.counters.add(Counter(id="c"))
    with pytest.raises(DatabaseConnectionError, match="was closed"):
        uow.counters.commit()


def test_a_postgres_unit_of_work_used_after_its_block_says_it_was_closed(
    namespace: str,
) -> None:
    """The same error as SQLite's, also on a pooled connection (never reopened by stealth)."""
    pool = ConnectionPool(POSTGRES, min_size=1, max_size=2, open=False)
    pool.open()
    for source in (POSTGRES, pool):
        with PostgresCounters(source, namespace) as uow:
            pass
        with pytest.raises(DatabaseConnectionError, match="was closed"):
            uow.counters.find("c")
    pool.close()


def test_a_sqlalchemy_unit_of_work_used_after_its_block_says_it_was_closed(
    tmp_path: Path,
) -> None:
    """The closed session is not begun anew behind the caller's back."""
    engine = sqlite_engine(tmp_path / "alchemy.db")
    factory = sessionmaker(engine)

    class Counters(SQLAlchemyUnitOfWork):
        def __init__(self) -> None:
            super().__init__(factory)
            self.counters = self.repository(Counter)

    with factory() as session:
        from tactica.stores.sqlalchemy import SQLAlchemyConnection

        create_schema(SQLAlchemyConnection(session))
    with Counters() as uow:
        pass
    with pytest.raises(DatabaseConnectionError, match="was closed"):
        uow.counters.find("c")
    engine.dispose()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("event_id", "not-a-uuid"),
        ("occurred_at", "not a time"),
        ("occurred_at", "2026-01-01T00:00:00"),
        ("recorded_at", "yesterday"),
        ("correlation_id", "zzz"),
        ("causation_id", "12"),
        ("payload", "a text, not bytes"),
        ("metadata", 42),
        ("stream_version", "one"),
        ("schema_version", "x"),
        ("type_name", b"bytes"),
    ],
)
def test_a_row_changed_outside_tactica_is_a_stored_data_error_naming_it(
    tmp_path: Path, column: str, value: object
) -> None:
    """Reads of a tampered row name its position, stream and column; others still read."""
    path = _sqlite_file(tmp_path)
    store = SQLiteEventStore(path)
    store.append("other", [new_event()])
    result = store.append("victim", [new_event(correlation_id=uuid7())])
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute(
        f"UPDATE tactica_events SET {column} = ? WHERE stream_id = 'victim'",
        (value,),
    )
    raw.close()
    for read in (lambda: store.read("victim"), store.read_all):
        with pytest.raises(StoredDataError, match=column) as raised:
            read()
        assert f"position {result.position}" in str(raised.value)
        assert "'victim'" in str(raised.value) or column == "stream_version"
    assert len(store.read("other")) == 1
    store.close()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/New_York"])
def test_times_at_the_ends_of_the_range_read_back_in_any_session_time_zone(
    namespace: str, zone: str
) -> None:
    """Years 1 and 9999 in UTC read back although the session's zone would overflow them."""
    options = f"-c TimeZone={zone}"
    pool = ConnectionPool(
        POSTGRES, min_size=1, max_size=1, open=False, kwargs={"options": options}
    )
    pool.open()
    edges = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 1, 1, 14, tzinfo=timezone(timedelta(hours=14))),
    ]
    own = PostgresEventStore(f"{POSTGRES} options='{options}'", namespace=namespace)
    pooled = PostgresEventStore(pool, namespace=namespace)
    own.append("edges", [new_event(occurred_at=when) for when in edges])
    for store in (own, pooled):
        assert [e.occurred_at for e in store.read("edges")] == edges
        assert [e.occurred_at for e in store.read_all()] == edges
    with pool.connection() as lent:
        shown = (lent.execute("SHOW TimeZone")).fetchone()
    assert shown is not None
    assert shown[0] == zone
    own.close()
    pool.close()


def test_an_exhausted_pool_is_a_connection_error_not_the_pool_s_timeout(
    namespace: str,
) -> None:
    """More units of work than connections: the one that waits too long gets a typed error."""
    pool = ConnectionPool(POSTGRES, min_size=1, max_size=1, timeout=0.2, open=False)
    pool.open()
    with PostgresCounters(pool, namespace) as holder:
        holder.counters.find("c")
        with pytest.raises(DatabaseConnectionError, match="pool"):
            with PostgresCounters(pool, namespace) as waiter:
                waiter.counters.find("c")
    pool.close()


def test_a_duplicate_key_in_your_own_sql_is_a_constraint_violation(
    tmp_path: Path, namespace: str
) -> None:
    """SQL run on tactica's connections breaks a key: ConstraintViolationError on both."""
    sqlite = SQLiteConnection(_sqlite_file(tmp_path))
    postgres = PostgresConnection(POSTGRES, namespace=namespace)
    for connection in (sqlite, postgres):
        insert = "INSERT INTO tactica_checkpoints (name, position) VALUES ('c', 1)"
        connection.execute(insert)
        with pytest.raises(ConstraintViolationError, match="duplicate key"):
            connection.execute(insert)
        connection.close()


def test_a_sqlite_path_that_cannot_be_opened_is_a_connection_error(
    tmp_path: Path,
) -> None:
    """A directory, or a file in a missing directory: DatabaseConnectionError naming it."""
    for path in (tmp_path, tmp_path / "missing" / "x.db"):
        with pytest.raises(DatabaseConnectionError, match="cannot open"):
            SQLiteEventStore(path)


@pytest.mark.parametrize(
    "make",
    [
        lambda path: SQLiteEventStore(path, max_event_bytes=0),
        lambda path: SQLiteEventStore(path, busy_timeout=-1),
        lambda path: SQLiteUnitOfWork(path, busy_timeout="soon"),
        lambda path: PostgresEventStore(POSTGRES, max_event_bytes=0),
        lambda path: PostgresEventStore(POSTGRES, global_order="sorted"),
    ],
)
def test_a_store_refused_at_construction_leaves_no_connection_open(
    tmp_path: Path, make: Any
) -> None:
    """A bad setting is refused before any connection opens: none is left to the collector."""
    with pytest.raises(ConfigurationError):
        make(_sqlite_file(tmp_path))
    gc.collect()  # an unclosed connection would warn here, and warnings are errors
