"""PostgreSQL connections in both colours (psycopg 3): the only per-colour code of this store.

Autocommit mode with explicit ``BEGIN``: the shared SQL repository decides where a
transaction starts and ends. Statements are written with ``?`` placeholders, as for SQLite,
and translated to psycopg's ``%s`` once per statement text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, LiteralString, cast

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus

__all__ = ["AsyncPostgresConnection", "PostgresConnection"]

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS tactica_aggregates (
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    state BYTEA NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_outbox (
    message_id TEXT PRIMARY KEY,
    type_name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload BYTEA NOT NULL,
    occurred_at TEXT NOT NULL,
    correlation_id TEXT,
    causation_id TEXT,
    stored_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
""",
)


@lru_cache(maxsize=256)
def _psycopg_sql(sql: str) -> LiteralString:
    # Literal percent signs must be doubled for psycopg; tactica's own SQL has none but the
    # escape keeps the translation correct for any statement. The text is always tactica's
    # own (values travel as parameters), which is what LiteralString asks to promise. mypy
    # reads LiteralString as plain str, so to it the cast looks redundant.
    return cast("LiteralString", sql.replace("%", "%%").replace("?", "%s"))  # type: ignore[redundant-cast]


class PostgresConnection:
    """A sync PostgreSQL connection: `execute`, `fetch` and explicit transactions."""

    schema = _SCHEMA
    unique_violation: type[BaseException] = errors.UniqueViolation

    __slots__ = ("_raw", "conninfo")

    def __init__(self, conninfo: str) -> None:
        """Connect with a libpq connection string, e.g. ``"host=127.0.0.1 dbname=app"``."""
        self.conninfo = conninfo
        self._raw = psycopg.connect(conninfo, autocommit=True)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return self._raw.execute(_psycopg_sql(sql), parameters).rowcount

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; return its rows."""
        return self._raw.execute(_psycopg_sql(sql), parameters).fetchall()

    def begin(self) -> None:
        """Start a transaction."""
        self._raw.execute("BEGIN")

    def commit(self) -> None:
        """Commit the open transaction."""
        self._raw.execute("COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self._raw.info.transaction_status != TransactionStatus.IDLE:
            self._raw.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._raw.close()


class AsyncPostgresConnection:
    """An async PostgreSQL connection, opened on first use (so it can be made anywhere)."""

    schema = _SCHEMA
    unique_violation: type[BaseException] = errors.UniqueViolation

    __slots__ = ("_raw", "conninfo")

    def __init__(self, conninfo: str) -> None:
        """Remember the libpq connection string; the connection opens on first use."""
        self.conninfo = conninfo
        self._raw: psycopg.AsyncConnection[Any] | None = None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._raw is None:
            self._raw = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        return self._raw

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        connection = await self._connection()
        return (await connection.execute(_psycopg_sql(sql), parameters)).rowcount

    async def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; return its rows."""
        connection = await self._connection()
        cursor = await connection.execute(_psycopg_sql(sql), parameters)
        return await cursor.fetchall()

    async def begin(self) -> None:
        """Start a transaction."""
        await (await self._connection()).execute("BEGIN")

    async def commit(self) -> None:
        """Commit the open transaction."""
        await (await self._connection()).execute("COMMIT")

    async def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        connection = await self._connection()
        if connection.info.transaction_status != TransactionStatus.IDLE:
            await connection.execute("ROLLBACK")

    async def close(self) -> None:
        """Close the connection, if it was ever opened."""
        if self._raw is not None:
            await self._raw.close()
