"""G5: a stall names what holds it, and its held-back events show in the lag.

With the xid8 horizon, a write transaction left open anywhere in the cluster (in another
database too) holds every reader's horizon back; with the table lock, a holder of the
events-table lock holds the writers. While it lasts, ``status()`` must say ``stalled``,
with a reason naming the holder's backend pid, database, application and state, and
``pending``/``seconds_behind`` must count the committed events held back (they used to
read 0 and 0.0). These tests hold transactions open, so they run on a throwaway server;
each holds one for about half a second, on the sync, async and SQLAlchemy stores.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _throwaway_postgres import ThrowawayPostgres

from tactica import uuid7
from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.eventsourcing import to_new_event
from tactica.ports import ANY
from tactica.projections import ProjectionStatus
from tactica.stores.postgres import AsyncPostgresEventStore, PostgresConnection, PostgresEventStore
from tactica.stores.sqlalchemy import AsyncSQLAlchemyEventStore
from tactica.stores.sqlalchemy._compat import async_create_engine, async_sessionmaker

STALLED_AFTER = 0.2
HOLDER = "g5-stall-holder"


class Noted(DomainEvent, name="tests.reliability.g5.noted"):
    n: int


CODEC = JsonCodec(TypeRegistry([Noted]))


class _Status:
    """`status()` and appends through one kind of store, from sync test code."""

    def __init__(self, kind: str, server: ThrowawayPostgres, database: str, order: Any) -> None:
        self.kind = kind
        conninfo = f"host=127.0.0.1 port={server.port} dbname={database} user=postgres"
        self._loop = asyncio.new_event_loop()
        self.writer = PostgresEventStore(conninfo, global_order=order)
        if kind == "sync":
            self._store: Any = PostgresEventStore(conninfo, global_order=order)
        elif kind == "async":
            self._store = AsyncPostgresEventStore(conninfo, global_order=order)
        else:
            url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{database}"
            self._engine = async_create_engine(url)
            self._store = AsyncSQLAlchemyEventStore(
                async_sessionmaker(self._engine), global_order=order
            )

    def status(self) -> ProjectionStatus:
        if self.kind == "sync":
            status: ProjectionStatus = self._store.status("notes", stalled_after=STALLED_AFTER)
            return status
        return self._loop.run_until_complete(
            self._store.status("notes", stalled_after=STALLED_AFTER)
        )

    def append(self, n: int) -> int:
        event = to_new_event(CODEC, Noted(n=n))
        return self.writer.append(f"note-{uuid7().hex}", [event], ANY).position

    def catch_up(self, position: int) -> None:
        """Move the projection's checkpoint to `position`, as a runner that applied it would."""
        with self.writer.projecting(
            "notes", generation=1, checkpoint="notes", after=0, to=position
        ):
            pass

    def close(self) -> None:
        self.writer.close()
        if self.kind == "sync":
            self._store.close()
        elif self.kind == "async":
            self._loop.run_until_complete(self._store.close())
        else:
            self._loop.run_until_complete(self._engine.dispose())
        self._loop.close()


@pytest.fixture(params=["sync", "async", "sqlalchemy"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which store reports the status: sync, async, or SQLAlchemy's (async)."""
    return str(request.param)


@pytest.fixture
def database(postgres_conninfo: str) -> str:
    """The name of a fresh database with tactica's schema on the throwaway server."""
    return postgres_conninfo.rsplit("dbname=", 1)[1].split(maxsplit=1)[0]


@pytest.fixture
def other_database(throwaway_postgres: ThrowawayPostgres) -> str:
    """Another database of the same cluster, with a table of its own and no tactica tables."""
    name = f"elsewhere_{uuid7().hex}"
    admin = PostgresConnection(throwaway_postgres.conninfo)
    admin.execute(f"CREATE DATABASE {name}")
    admin.close()
    connection = PostgresConnection(_conninfo(throwaway_postgres, name))
    connection.execute("CREATE TABLE unrelated (x int)")
    connection.close()
    return name


def _conninfo(server: ThrowawayPostgres, database: str, application: str = "") -> str:
    named = f" application_name={application}" if application else ""
    return f"host=127.0.0.1 port={server.port} dbname={database} user=postgres{named}"


@pytest.fixture
def reporter(
    kind: str, throwaway_postgres: ThrowawayPostgres, database: str
) -> Iterator[Callable[[str], _Status]]:
    """Make a `_Status` for the test's database in a global order; closed afterwards."""
    made: list[_Status] = []

    def make(order: str) -> _Status:
        made.append(_Status(kind, throwaway_postgres, database, order))
        return made[-1]

    yield make
    for status in made:
        status.close()


def _hold_a_write(server: ThrowawayPostgres, database: str) -> tuple[PostgresConnection, int]:
    """Open a write transaction in `database` (it gets a transaction id), left idle in it."""
    holder = PostgresConnection(_conninfo(server, database, HOLDER))
    pid = int(holder.fetch("SELECT pg_backend_pid()")[0][0])
    holder.begin()
    table = "unrelated" if database.startswith("elsewhere_") else "tactica_leases"
    if table == "unrelated":
        holder.execute("INSERT INTO unrelated (x) VALUES (1)")
    else:
        holder.execute("INSERT INTO tactica_leases (name, holder, expires_at) VALUES ('x', 'y', 0)")
    return holder, pid


def _check_named(status: ProjectionStatus, pid: int, database: str) -> None:
    assert status.stalled, status
    reason = status.stall_reason or ""
    assert f"pid {pid}" in reason, reason
    assert f"database {database!r}" in reason, reason
    assert HOLDER in reason, reason
    assert "idle in transaction" in reason, reason
    assert "idle_in_transaction_session_timeout" in reason, reason


@pytest.mark.parametrize("where", ["another database", "the same database"])
def test_a_horizon_stall_names_the_open_transaction_and_counts_what_it_holds_back(
    reporter: Callable[[str], _Status],
    throwaway_postgres: ThrowawayPostgres,
    database: str,
    other_database: str,
    where: str,
) -> None:
    """An open write anywhere in the cluster: the reason names it; pending counts the held."""
    status = reporter("horizon")
    applied = status.append(0)
    status.catch_up(applied)
    holding = other_database if where == "another database" else database
    holder, pid = _hold_a_write(throwaway_postgres, holding)
    try:
        held = [status.append(n) for n in (1, 2, 3)]
        time.sleep(STALLED_AFTER + 0.3)
        during = status.status()
        _check_named(during, pid, holding)
        assert (during.checkpoint, during.head) == (applied, applied)
        assert during.pending == len(held)
        assert during.seconds_behind >= STALLED_AFTER
    finally:
        holder.rollback()
        holder.close()
    after = status.status()
    assert not after.stalled
    assert after.stall_reason is None
    assert (after.head, after.pending) == (held[-1], len(held))


def test_a_table_lock_stall_names_the_lock_holder(
    reporter: Callable[[str], _Status], throwaway_postgres: ThrowawayPostgres, database: str
) -> None:
    """A holder of the events-table lock: writers wait, and the reason names the holder."""
    status = reporter("table_lock")
    holder = PostgresConnection(_conninfo(throwaway_postgres, database, HOLDER))
    pid = int(holder.fetch("SELECT pg_backend_pid()")[0][0])
    holder.begin()
    holder.execute("LOCK TABLE tactica_events IN EXCLUSIVE MODE")
    appended: list[int] = []
    writer = threading.Thread(target=lambda: appended.append(status.append(1)))
    writer.start()
    try:
        time.sleep(STALLED_AFTER + 0.3)
        during = status.status()
        assert "writers wait for a lock on the events table" in (during.stall_reason or "")
        _check_named_lock(during, pid, database)
        assert appended == []
    finally:
        holder.rollback()
        holder.close()
        writer.join(timeout=10)
    assert len(appended) == 1
    after = status.status()
    assert not after.stalled
    assert (after.head, after.pending) == (appended[0], 1)


def _check_named_lock(status: ProjectionStatus, pid: int, database: str) -> None:
    assert status.stalled, status
    reason = status.stall_reason or ""
    assert f"held by backend pid {pid}" in reason, reason
    assert f"database {database!r}" in reason, reason
    assert HOLDER in reason, reason
