# Generated from _database_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""A PostgreSQL database with its own pool (sync colour): units of work borrow, not connect.

Connecting to PostgreSQL takes milliseconds; `PostgresDatabase` owns a
``psycopg_pool`` pool, opened on first use, and each unit of work made on it borrows one of
the pool's connections and gives it back as it found it (rolled back, session settings
reset) when it is left.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg_pool import ConnectionPool

from tactica.errors import ConfigurationError, DatabaseConnectionError
from tactica.stores._sql._errors import translated
from tactica.stores._sql._identifiers import checked_identifier

__all__ = ["PostgresDatabase"]


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class PostgresDatabase:
    """One PostgreSQL database and the connection pool its units of work borrow from.

    Pass it where a unit of work takes a connection string,
    ``PostgresUnitOfWork(database)``. The pool keeps between `min_size` and
    `max_size` connections; a unit of work that finds every one lent waits for one.
    `close` (or leaving ``with``) closes the pool; a unit of work made afterwards
    raises `DatabaseConnectionError`. Use it on one event loop, as its pool must be.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        namespace: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
    ) -> None:
        """Pool connections to the database a libpq string names; connect on first use.

        With `namespace`, units of work made on this database use tactica's tables of that
        PostgreSQL schema.
        """
        for name, size in (("min_size", min_size), ("max_size", max_size)):
            if not _is_count(size):
                msg = f"{name} is a number of connections >= 0, not {size!r}"
                raise ConfigurationError(msg)
        if max_size < max(min_size, 1):
            msg = f"max_size ({max_size}) must be at least min_size ({min_size}) and 1"
            raise ConfigurationError(msg)
        self.conninfo = conninfo
        self.namespace = None if namespace is None else checked_identifier(namespace, "namespace")
        # Autocommit as tactica uses them (it says BEGIN itself), so lending changes nothing.
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True},
            open=False,
        )
        self._opened = False
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether `close` was called: no connection is lent any more."""
        return self._closed

    def check_open(self) -> None:
        """Raise `DatabaseConnectionError` if this database was closed."""
        if self._closed:
            msg = (
                "this PostgreSQL database was closed: its pool lends no more connections, "
                "so make units of work on an open one"
            )
            raise DatabaseConnectionError(msg)

    def getconn(self) -> psycopg.Connection[Any]:
        """Borrow a connection from the pool, opening the pool the first time."""
        self.check_open()
        if not self._opened:
            self._pool.open()
            self._opened = True
        try:
            return self._pool.getconn()
        except psycopg.Error as error:
            if self._closed:  # closed while this borrow waited
                self.check_open()
            raise translated(error, "postgres") from error

    def putconn(self, connection: psycopg.Connection[Any]) -> None:
        """Give a borrowed connection back to the pool (closed, if the pool was)."""
        self._pool.putconn(connection)

    def close(self) -> None:
        """Close the pool and its connections; borrowed ones are closed when given back."""
        self._closed = True
        self._pool.close()

    def __enter__(self) -> Self:
        """Return this database; leaving the block closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the pool."""
        self.close()
