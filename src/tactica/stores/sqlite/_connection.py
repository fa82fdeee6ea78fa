"""SQLite connections in both colours: the only hand-written per-colour code of this store.

Both run the standard library's `sqlite3` in autocommit mode, so every transaction is an
explicit ``BEGIN IMMEDIATE``: the write lock is taken at the start, and waiting for it is
the busy timeout's job, so concurrent writers queue instead of failing with "database is
locked". Files use WAL, which lets readers go on while a writer commits.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from tactica.errors import ConfigurationError, ConstraintViolationError, DatabaseConnectionError
from tactica.stores._sql._errors import closed_connection, translated
from tactica.stores._sql._schemas import SQLITE_SCHEMA
from tactica.stores._sql._wal import switch_to_wal

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "AsyncSQLiteConnection",
    "Row",
    "SQLiteConnection",
    "checked_busy_timeout",
]

Row = tuple[Any, ...]

DEFAULT_BUSY_TIMEOUT = 60.0
"""Seconds a SQLite connection waits for another writer's lock before `LockTimeoutError`."""

# Besides its own errors, sqlite3 lets a value it cannot bind escape as a builtin error.
_DRIVER_ERRORS = (sqlite3.Error, OverflowError, UnicodeEncodeError)


def checked_busy_timeout(busy_timeout: object) -> float:
    """Return `busy_timeout` (seconds, >= 0) as a float; raise `ConfigurationError` otherwise."""
    if isinstance(busy_timeout, bool) or not isinstance(busy_timeout, int | float):
        msg = f"busy_timeout is a number of seconds, not {busy_timeout!r}"
        raise ConfigurationError(msg)
    if not 0 <= busy_timeout < float("inf"):
        msg = f"busy_timeout must be a finite number of seconds >= 0, not {busy_timeout!r}"
        raise ConfigurationError(msg)
    return float(busy_timeout)


def _open(path: str | Path, busy_timeout: float) -> sqlite3.Connection:
    try:
        raw = sqlite3.connect(
            path, isolation_level=None, timeout=busy_timeout, check_same_thread=False
        )
    except _DRIVER_ERRORS as error:
        msg = f"cannot open the SQLite database {str(path)!r} ({error}): check the path"
        raise DatabaseConnectionError(msg) from error
    try:
        if str(path) != ":memory:":
            switch_to_wal(raw.execute, busy_timeout)
        # FULL: a commit that returned survives a power cut, also in WAL mode.
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA foreign_keys=ON")
    except BaseException as error:
        raw.close()
        if isinstance(error, _DRIVER_ERRORS):
            raise translated(error, "sqlite", busy_timeout=busy_timeout) from error
        raise
    return raw


def _fetch(raw: sqlite3.Connection, sql: str, parameters: Sequence[Any]) -> list[Row]:
    return raw.execute(sql, parameters).fetchall()


def _rollback(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:
        raw.execute("ROLLBACK")


class SQLiteConnection:
    """A sync SQLite connection: `execute`, `fetch` and explicit transactions."""

    dialect = "sqlite"
    schema = SQLITE_SCHEMA
    unique_violation: type[BaseException] = ConstraintViolationError

    __slots__ = ("_closed", "_raw", "busy_timeout", "path")

    def __init__(self, path: str | Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        """Open `path` (a file, or ``":memory:"``); wait up to `busy_timeout` s for locks."""
        self.path = path
        self.busy_timeout = checked_busy_timeout(busy_timeout)
        self._raw = _open(path, self.busy_timeout)
        self._closed = False

    def _call(self, function: Callable[..., Any], *arguments: Any) -> Any:
        if self._closed:
            raise closed_connection("SQLite")
        try:
            return function(*arguments)
        except _DRIVER_ERRORS as error:
            raise translated(error, "sqlite", busy_timeout=self.busy_timeout) from error

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        cursor: sqlite3.Cursor = self._call(self._raw.execute, sql, parameters)
        return cursor.rowcount

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one query; return its rows."""
        rows: list[Row] = self._call(_fetch, self._raw, sql, parameters)
        return rows

    def begin(self) -> None:
        """Start a write transaction, waiting (up to the busy timeout) for the write lock."""
        self._call(self._raw.execute, "BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Commit the open transaction."""
        self._call(self._raw.execute, "COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if not self._closed:
            self._call(_rollback, self._raw)

    def close(self) -> None:
        """Close the connection; using it afterwards raises `DatabaseConnectionError`."""
        if not self._closed:
            self._closed = True
            self._raw.close()


class AsyncSQLiteConnection:
    """An async SQLite connection: the same calls, run on the connection's own worker thread.

    One thread per connection keeps every call on the thread sqlite3 expects and never
    blocks the event loop.
    """

    dialect = "sqlite"
    schema = SQLITE_SCHEMA
    unique_violation: type[BaseException] = ConstraintViolationError

    __slots__ = ("_closed", "_executor", "_raw", "busy_timeout", "path")

    def __init__(self, path: str | Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        """Open `path` (a file, or ``":memory:"``); wait up to `busy_timeout` s for locks."""
        self.path = path
        self.busy_timeout = checked_busy_timeout(busy_timeout)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tactica-sqlite")
        try:
            self._raw = self._executor.submit(_open, path, self.busy_timeout).result()
        except BaseException:
            self._executor.shutdown(wait=False)
            raise
        self._closed = False

    async def _run(self, function: Callable[..., Any], *arguments: Any) -> Any:
        if self._closed:
            raise closed_connection("SQLite")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, partial(function, *arguments))
        except _DRIVER_ERRORS as error:
            raise translated(error, "sqlite", busy_timeout=self.busy_timeout) from error

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        cursor: sqlite3.Cursor = await self._run(self._raw.execute, sql, parameters)
        return cursor.rowcount

    async def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one query; return its rows."""
        rows: list[Row] = await self._run(_fetch, self._raw, sql, parameters)
        return rows

    async def begin(self) -> None:
        """Start a write transaction, waiting (up to the busy timeout) for the write lock."""
        await self._run(self._raw.execute, "BEGIN IMMEDIATE")

    async def commit(self) -> None:
        """Commit the open transaction."""
        await self._run(self._raw.execute, "COMMIT")

    async def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if not self._closed:
            await self._run(_rollback, self._raw)

    async def close(self) -> None:
        """Close the connection and stop its worker thread; later use is an error."""
        if self._closed:
            return
        await self._run(self._raw.close)
        self._closed = True
        self._executor.shutdown(wait=False)
