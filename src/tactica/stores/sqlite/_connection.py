"""SQLite connections in both colours: the only hand-written per-colour code of this store.

Both run the standard library's `sqlite3` in autocommit mode, so every transaction is an
explicit ``BEGIN IMMEDIATE``: the write lock is taken at the start, and waiting for it is
the busy timeout's job, so concurrent writers queue instead of failing with "database is
locked". Files use WAL, which lets readers go on while a writer commits.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from tactica.stores._sql._schemas import SQLITE_SCHEMA

__all__ = ["AsyncSQLiteConnection", "Row", "SQLiteConnection", "switch_to_wal"]

Row = tuple[Any, ...]

_BUSY_TIMEOUT_S = 60.0


def _open(path: str | Path, busy_timeout: float) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout, check_same_thread=False)
    if str(path) != ":memory:":
        try:
            switch_to_wal(raw.execute, busy_timeout)
        except BaseException:
            raw.close()
            raise
    # FULL: a commit that returned survives a power cut, also in WAL mode.
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    return raw


def switch_to_wal(execute: Callable[[str], object], busy_timeout: float) -> None:
    """Put the database in WAL mode through `execute`, retrying while another opener holds it.

    Switching a new file to WAL needs an exclusive lock that SQLite does not wait for
    through the busy handler, so connections opened at the same moment would otherwise
    fail with "database is locked".
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.001
    while True:
        try:
            execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        else:
            return


class SQLiteConnection:
    """A sync SQLite connection: `execute`, `fetch` and explicit transactions."""

    dialect = "sqlite"
    schema = SQLITE_SCHEMA
    unique_violation: type[BaseException] = sqlite3.IntegrityError

    __slots__ = ("_raw", "path")

    def __init__(self, path: str | Path, *, busy_timeout: float = _BUSY_TIMEOUT_S) -> None:
        """Open `path` (a file, or ``":memory:"``)."""
        self.path = path
        self._raw = _open(path, busy_timeout)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return self._raw.execute(sql, parameters).rowcount

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one query; return its rows."""
        return self._raw.execute(sql, parameters).fetchall()

    def begin(self) -> None:
        """Start a write transaction, waiting (up to the busy timeout) for the write lock."""
        self._raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Commit the open transaction."""
        self._raw.execute("COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self._raw.in_transaction:
            self._raw.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._raw.close()


class AsyncSQLiteConnection:
    """An async SQLite connection: the same calls, run on the connection's own worker thread.

    One thread per connection keeps every call on the thread sqlite3 expects and never
    blocks the event loop.
    """

    dialect = "sqlite"
    schema = SQLITE_SCHEMA
    unique_violation: type[BaseException] = sqlite3.IntegrityError

    __slots__ = ("_executor", "_raw", "path")

    def __init__(self, path: str | Path, *, busy_timeout: float = _BUSY_TIMEOUT_S) -> None:
        """Open `path` (a file, or ``":memory:"``)."""
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tactica-sqlite")
        self._raw = self._executor.submit(_open, path, busy_timeout).result()

    async def _run(self, function: Any, *arguments: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *arguments))

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        cursor: sqlite3.Cursor = await self._run(self._raw.execute, sql, parameters)
        return cursor.rowcount

    async def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one query; return its rows."""

        def fetch() -> list[Row]:
            return self._raw.execute(sql, parameters).fetchall()

        rows: list[Row] = await self._run(fetch)
        return rows

    async def begin(self) -> None:
        """Start a write transaction, waiting (up to the busy timeout) for the write lock."""
        await self._run(self._raw.execute, "BEGIN IMMEDIATE")

    async def commit(self) -> None:
        """Commit the open transaction."""
        await self._run(self._raw.execute, "COMMIT")

    async def rollback(self) -> None:
        """Roll back the open transaction, if any."""

        def rollback() -> None:
            if self._raw.in_transaction:
                self._raw.execute("ROLLBACK")

        await self._run(rollback)

    async def close(self) -> None:
        """Close the connection and stop its worker thread."""
        await self._run(self._raw.close)
        self._executor.shutdown(wait=False)
