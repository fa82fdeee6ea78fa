"""Kept SQLite connections (async colour): units of work borrow them instead of opening their own.

Opening a SQLite connection (and setting WAL, ``synchronous`` and foreign keys on it) costs
about as much as a small commit. `AsyncSQLiteDatabase` keeps the connections it opened and
lends each unit of work one nobody else holds, so sequential commands reuse one connection
and concurrent ones get one each: a connection is never shared by two open units of work,
whatever the threads or tasks.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tactica.errors import ConfigurationError, DatabaseConnectionError
from tactica.stores._sql._errors import closed_connection
from tactica.stores.sqlite._connection import (
    DEFAULT_BUSY_TIMEOUT,
    AsyncSQLiteConnection,
    Row,
    checked_busy_timeout,
)

__all__ = ["AsyncLentSQLiteConnection", "AsyncSQLiteDatabase"]

DEFAULT_MAX_IDLE = 4


def _is_count(value: object, *, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


class AsyncSQLiteDatabase:
    """One SQLite file and the connections kept open on it for the units of work that use it.

    Pass it where a unit of work takes a path, ``AsyncSQLiteUnitOfWork(database)``: the
    unit borrows a kept connection (opening one only when every kept one is lent) and gives
    it back, rolled back, when it is left. At most `max_idle` connections wait between
    units; the rest are closed when given back. `close` (or leaving ``async with``) closes
    the kept connections; a unit of work made afterwards raises `DatabaseConnectionError`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        max_idle: int = DEFAULT_MAX_IDLE,
    ) -> None:
        """Keep connections on `path` (a file; its schema must exist: `async_create_schema`)."""
        if str(path) == ":memory:":
            # Each connection to ":memory:" is a database of its own: two lent connections
            # would not see each other's writes.
            msg = "a kept-connection database needs a file; ':memory:' is one per connection"
            raise ConfigurationError(msg)
        if not _is_count(max_idle, least=1):
            msg = f"max_idle is a number of connections >= 1, not {max_idle!r}"
            raise ConfigurationError(msg)
        self.path = path
        self.busy_timeout = checked_busy_timeout(busy_timeout)
        self.max_idle = max_idle
        self._idle: list[AsyncSQLiteConnection] = []
        # Units of work may be made on several threads (a sync bus served by a thread pool),
        # and the list is only touched for an append or a pop, so a thread lock is enough in
        # both colours.
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether `close` was called: no connection is lent any more."""
        return self._closed

    def lend(self) -> AsyncLentSQLiteConnection:
        """Return a connection for one unit of work; its `close` gives it back.

        Raises `DatabaseConnectionError` once this database is closed.
        """
        with self._lock:
            if self._closed:
                msg = (
                    f"the SQLite database {str(self.path)!r} was closed: it lends no more "
                    "connections, so make units of work on an open one"
                )
                raise DatabaseConnectionError(msg)
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = AsyncSQLiteConnection(self.path, busy_timeout=self.busy_timeout)
        return AsyncLentSQLiteConnection(connection, self)

    async def give_back(self, connection: AsyncSQLiteConnection) -> None:
        """Take back a lent connection: roll back what it left open, then keep or close it."""
        try:
            # A unit of work commits or rolls back itself; this one is for a transaction
            # begun by hand, or a rollback that failed, so the next unit starts clean.
            await connection.rollback()
        except BaseException:
            await connection.close()
            raise
        with self._lock:
            keep = not self._closed and len(self._idle) < self.max_idle
            if keep:
                self._idle.append(connection)
        if not keep:
            await connection.close()

    async def close(self) -> None:
        """Close the kept connections; those lent now are closed when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    async def __aenter__(self) -> Self:
        """Return this database; leaving the block closes it."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the kept connections."""
        await self.close()


class AsyncLentSQLiteConnection:
    """A kept connection lent to one unit of work: `close` gives it back to its database.

    After `close`, this handle refuses every call with `DatabaseConnectionError`, as a
    closed connection does, even though the connection under it lives on for the next unit.
    """

    dialect = AsyncSQLiteConnection.dialect
    schema = AsyncSQLiteConnection.schema
    unique_violation = AsyncSQLiteConnection.unique_violation

    __slots__ = ("_connection", "_database")

    def __init__(self, connection: AsyncSQLiteConnection, database: AsyncSQLiteDatabase) -> None:
        """Lend `connection`, which `database` takes back on `close`."""
        self._connection: AsyncSQLiteConnection | None = connection
        self._database = database

    @property
    def path(self) -> str | Path:
        """The database file."""
        return self._database.path

    @property
    def busy_timeout(self) -> float:
        """Seconds a write waits for another connection's lock."""
        return self._database.busy_timeout

    def _lent(self) -> AsyncSQLiteConnection:
        if self._connection is None:
            raise closed_connection("SQLite")
        return self._connection

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return await self._lent().execute(sql, parameters)

    async def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one query; return its rows."""
        return await self._lent().fetch(sql, parameters)

    async def begin(self) -> None:
        """Start a write transaction, waiting (up to the busy timeout) for the write lock."""
        await self._lent().begin()

    async def commit(self) -> None:
        """Commit the open transaction."""
        await self._lent().commit()

    async def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self._connection is not None:
            await self._connection.rollback()

    async def close(self) -> None:
        """Give the connection back (rolled back); later calls on this handle are errors."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await self._database.give_back(connection)
