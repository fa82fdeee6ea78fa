"""PostgreSQL connections in both colours (psycopg 3): the only per-colour code of this store.

Autocommit mode with explicit ``BEGIN``: the shared SQL repository decides where a
transaction starts and ends. Statements are written with ``?`` placeholders, as for SQLite,
and translated to psycopg's ``%s`` once per statement text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from functools import lru_cache
from typing import Any, LiteralString, Protocol, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tactica.errors import (
    CommitOutcomeUnknownError,
    ConstraintViolationError,
    DatabaseConnectionError,
    TacticaError,
)
from tactica.stores._sql._errors import closed_connection, translated
from tactica.stores._sql._identifiers import checked_identifier, quoted
from tactica.stores._sql._schemas import POSTGRES_SCHEMA

__all__ = ["AsyncLender", "AsyncPostgresConnection", "Lender", "PostgresConnection"]


class Lender(Protocol):
    """What lends sync connections: a psycopg ``ConnectionPool``, or a `PostgresDatabase`."""

    def getconn(self) -> psycopg.Connection[Any]:
        """Borrow a connection."""
        ...

    def putconn(self, conn: psycopg.Connection[Any], /) -> None:
        """Give a borrowed connection back."""
        ...


class AsyncLender(Protocol):
    """What lends async connections: an ``AsyncConnectionPool``, or an `AsyncPostgresDatabase`."""

    async def getconn(self) -> psycopg.AsyncConnection[Any]:
        """Borrow a connection."""
        ...

    async def putconn(self, conn: psycopg.AsyncConnection[Any], /) -> None:
        """Give a borrowed connection back."""
        ...


def _is_lost(connection: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bool:
    return connection.closed or connection.broken


def _lost(error: psycopg.OperationalError, *, committing: bool) -> DatabaseConnectionError:
    if committing:
        return CommitOutcomeUnknownError(
            f"the connection to PostgreSQL was lost while COMMIT was on its way ({error}); "
            "the transaction may or may not be stored: read it back before retrying"
        )
    return DatabaseConnectionError(
        f"the connection to PostgreSQL was lost mid-transaction ({error}); the server rolled "
        "the transaction back, so nothing of it was stored: retry with a new unit of work"
    )


# psycopg lets a str it cannot encode escape as the builtin error.
_DRIVER_ERRORS = (psycopg.Error, UnicodeEncodeError)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"})
_UTC_SESSION: LiteralString = "SET TIME ZONE 'UTC'"


def _failed(
    connection: psycopg.Connection[Any] | psycopg.AsyncConnection[Any],
    error: BaseException,
    *,
    committing: bool,
) -> TacticaError:
    if isinstance(error, psycopg.OperationalError) and _is_lost(connection):
        return _lost(error, committing=committing)
    return translated(error, "postgres")


def _needs_utc(connection: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bool:
    # Times are read in the session's zone: outside UTC, instants near the years 1 and
    # 9999 that tactica stores would convert to dates Python cannot represent.
    return str(connection.info.timezone) not in _UTC_NAMES and connection.info.timezone != UTC


def _unreachable(error: psycopg.OperationalError) -> DatabaseConnectionError:
    return DatabaseConnectionError(
        f"cannot connect to PostgreSQL ({error}); nothing was sent: check that the server is "
        "up and the connection string, then retry"
    )


def _checked_namespace(namespace: str | None) -> str | None:
    return None if namespace is None else checked_identifier(namespace, "namespace")


def _search_path(namespace: str) -> LiteralString:
    # The name passed checked_identifier: letters, digits and underscores only.
    return cast("LiteralString", f"SET search_path TO {quoted(namespace)}")  # type: ignore[redundant-cast]


@lru_cache(maxsize=256)
def _psycopg_sql(sql: str) -> LiteralString:
    # Literal percent signs must be doubled for psycopg; tactica's own SQL has none but the
    # escape keeps the translation correct for any statement. The text is always tactica's
    # own (values travel as parameters), which is what LiteralString asks to promise. mypy
    # reads LiteralString as plain str, so to it the cast looks redundant.
    return cast("LiteralString", sql.replace("%", "%%").replace("?", "%s"))  # type: ignore[redundant-cast]


class PostgresConnection:
    """A sync PostgreSQL connection: `execute`, `fetch` and explicit transactions.

    Made from a connection string it opens its own connection; made from a psycopg
    ``ConnectionPool`` it borrows one and gives it back on `close`, as it found it. With
    `namespace`, tactica's tables live in that PostgreSQL schema (its name is checked, then
    quoted, and set as the connection's ``search_path``).
    """

    dialect = "postgresql"
    schema = POSTGRES_SCHEMA
    unique_violation: type[BaseException] = ConstraintViolationError

    __slots__ = ("_closed", "_lent_autocommit", "_pool", "_raw", "_reset", "namespace")

    def __init__(
        self, source: str | ConnectionPool[Any] | Lender, *, namespace: str | None = None
    ) -> None:
        """Connect with a libpq string (``"host=127.0.0.1 dbname=app"``) or borrow from a pool."""
        self.namespace = _checked_namespace(namespace)
        self._pool: ConnectionPool[Any] | Lender | None = None
        self._closed = False
        self._reset: list[LiteralString] = []
        if isinstance(source, str):
            try:
                self._raw: psycopg.Connection[Any] = psycopg.connect(source, autocommit=True)
            except psycopg.OperationalError as error:
                raise _unreachable(error) from error
        else:
            self._pool = source
            try:
                self._raw = source.getconn()
            except _DRIVER_ERRORS as error:
                raise translated(error, "postgres") from error
            # tactica says BEGIN itself; the pool's own setting is put back on return.
            self._lent_autocommit = self._raw.autocommit
            self._raw.autocommit = True
        try:
            self._set_up()
        except BaseException:
            self.close()
            raise

    def _set_up(self) -> None:
        if self.namespace is not None:
            self._run(_search_path(self.namespace))
            self._reset.append("RESET search_path")
        if _needs_utc(self._raw):
            self._run(_UTC_SESSION)
            self._reset.append("RESET TIME ZONE")

    def _run(
        self, sql: str, parameters: Sequence[Any] = (), *, committing: bool = False
    ) -> psycopg.Cursor[Any]:
        if self._closed:
            raise closed_connection("PostgreSQL")
        try:
            return self._raw.execute(_psycopg_sql(sql), parameters)
        except _DRIVER_ERRORS as error:
            raise _failed(self._raw, error, committing=committing) from error

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return self._run(sql, parameters).rowcount

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; return its rows."""
        cursor = self._run(sql, parameters)
        try:
            return cursor.fetchall()
        except _DRIVER_ERRORS as error:
            raise _failed(self._raw, error, committing=False) from error

    def begin(self) -> None:
        """Start a transaction."""
        self._run("BEGIN")

    def commit(self) -> None:
        """Commit the open transaction; a lost connection is `CommitOutcomeUnknownError`."""
        self._run("COMMIT", committing=True)

    def rollback(self) -> None:
        """Roll back the open transaction, if any (a lost connection has none left)."""
        if self._closed or _is_lost(self._raw):
            return
        if self._raw.info.transaction_status != TransactionStatus.IDLE:
            self._run("ROLLBACK")

    def wait_notification(self, timeout: float) -> bool:
        """Wait up to `timeout` s for a notification on a channel this connection listens to."""
        if self._closed:
            raise closed_connection("PostgreSQL")
        try:
            for _ in self._raw.notifies(timeout=timeout, stop_after=1):
                return True
        except psycopg.OperationalError as error:
            raise _lost(error, committing=False) from error
        return False

    def close(self) -> None:
        """Close the connection, or give a borrowed one back to its pool; later use is an error."""
        if self._closed:
            return
        self._closed = True
        if self._pool is None:
            self._raw.close()
            return
        try:
            if not _is_lost(self._raw):
                if self._raw.info.transaction_status != TransactionStatus.IDLE:
                    self._raw.execute("ROLLBACK")
                for statement in self._reset:
                    self._raw.execute(statement)
                self._raw.autocommit = self._lent_autocommit
        except _DRIVER_ERRORS as error:
            raise translated(error, "postgres") from error
        finally:
            self._pool.putconn(self._raw)


class AsyncPostgresConnection:
    """An async PostgreSQL connection, opened on first use (so it can be made anywhere).

    Made from a connection string it opens its own connection; made from a psycopg
    ``AsyncConnectionPool`` it borrows one and gives it back on `close`, as it found it.
    With `namespace`, tactica's tables live in that PostgreSQL schema (its name is
    checked, then quoted, and set as the connection's ``search_path``).
    """

    dialect = "postgresql"
    schema = POSTGRES_SCHEMA
    unique_violation: type[BaseException] = ConstraintViolationError

    __slots__ = ("_closed", "_lent_autocommit", "_raw", "_reset", "_source", "namespace")

    def __init__(
        self, source: str | AsyncConnectionPool[Any] | AsyncLender, *, namespace: str | None = None
    ) -> None:
        """Remember where to connect (a libpq string, or a pool); it connects on first use."""
        self.namespace = _checked_namespace(namespace)
        self._source = source
        self._raw: psycopg.AsyncConnection[Any] | None = None
        self._lent_autocommit = False
        self._closed = False
        self._reset: list[LiteralString] = []

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._raw is not None:
            return self._raw
        if self._closed:
            raise closed_connection("PostgreSQL")
        if isinstance(self._source, str):
            try:
                raw = await psycopg.AsyncConnection.connect(self._source, autocommit=True)
            except psycopg.OperationalError as error:
                raise _unreachable(error) from error
        else:
            try:
                raw = await self._source.getconn()
            except _DRIVER_ERRORS as error:
                raise translated(error, "postgres") from error
            # tactica says BEGIN itself; the pool's own setting is put back on return.
            self._lent_autocommit = raw.autocommit
        self._raw = raw
        try:
            await self._set_up(raw)
        except BaseException:
            await self.close()
            raise
        return raw

    async def _set_up(self, raw: psycopg.AsyncConnection[Any]) -> None:
        try:
            if not isinstance(self._source, str):
                await raw.set_autocommit(True)
            if self.namespace is not None:
                await raw.execute(_search_path(self.namespace))
                self._reset.append("RESET search_path")
            if _needs_utc(raw):
                await raw.execute(_UTC_SESSION)
                self._reset.append("RESET TIME ZONE")
        except _DRIVER_ERRORS as error:
            raise _failed(raw, error, committing=False) from error

    async def _run(
        self, sql: str, parameters: Sequence[Any] = (), *, committing: bool = False
    ) -> psycopg.AsyncCursor[Any]:
        connection = await self._connection()
        try:
            return await connection.execute(_psycopg_sql(sql), parameters)
        except _DRIVER_ERRORS as error:
            raise _failed(connection, error, committing=committing) from error

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return (await self._run(sql, parameters)).rowcount

    async def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; return its rows."""
        cursor = await self._run(sql, parameters)
        try:
            return await cursor.fetchall()
        except _DRIVER_ERRORS as error:
            raise _failed(await self._connection(), error, committing=False) from error

    async def begin(self) -> None:
        """Start a transaction."""
        await self._run("BEGIN")

    async def commit(self) -> None:
        """Commit the open transaction; a lost connection is `CommitOutcomeUnknownError`."""
        await self._run("COMMIT", committing=True)

    async def rollback(self) -> None:
        """Roll back the open transaction, if any (a lost connection has none left)."""
        if self._closed or self._raw is None or _is_lost(self._raw):
            return
        if self._raw.info.transaction_status != TransactionStatus.IDLE:
            await self._run("ROLLBACK")

    async def wait_notification(self, timeout: float) -> bool:
        """Wait up to `timeout` s for a notification on a channel this connection listens to."""
        connection = await self._connection()
        try:
            async for _ in connection.notifies(timeout=timeout, stop_after=1):
                return True
        except psycopg.OperationalError as error:
            raise _lost(error, committing=False) from error
        return False

    async def close(self) -> None:
        """Close the connection if it was ever opened, or give it back to its pool.

        Using it afterwards is an error: it is never opened again behind your back.
        """
        self._closed = True
        raw, self._raw = self._raw, None
        if raw is None:
            return
        if isinstance(self._source, str):
            await raw.close()
            return
        try:
            if not _is_lost(raw):
                if raw.info.transaction_status != TransactionStatus.IDLE:
                    await raw.execute("ROLLBACK")
                for statement in self._reset:
                    await raw.execute(statement)
                await raw.set_autocommit(self._lent_autocommit)
        except _DRIVER_ERRORS as error:
            raise translated(error, "postgres") from error
        finally:
            await self._source.putconn(raw)
