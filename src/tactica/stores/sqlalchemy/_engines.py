"""SQLite engines set up the way tactica's own SQLite connections are, for both colours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tactica.stores._sql._wal import switch_to_wal

__all__ = ["async_sqlite_engine", "sqlite_engine"]

_BUSY_TIMEOUT_MS = 60_000


def _tune(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while a writer commits; FULL makes a returned commit survive
    # a power cut; the busy timeout makes writers queue for the lock instead of failing.
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    switch_to_wal(cursor.execute, _BUSY_TIMEOUT_MS / 1000)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def sqlite_engine(path: str | Path, **options: Any) -> Engine:
    """Return an engine on the SQLite file at `path`: WAL, full sync, a 60 s busy timeout.

    The driver opens a write transaction only at the first write, so reads never hold the
    write lock and concurrent writers wait for each other rather than failing with
    "database is locked". `options` go to ``create_engine``.
    """
    engine = create_engine(f"sqlite:///{path}", **options)
    event.listen(engine, "connect", _tune)
    return engine


def async_sqlite_engine(path: str | Path, **options: Any) -> AsyncEngine:
    """Return an async engine (aiosqlite) on the SQLite file at `path`, tuned as `sqlite_engine`.

    Needs the ``aiosqlite`` package.
    """
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", **options)
    event.listen(engine.sync_engine, "connect", _tune)
    return engine
