"""The PostgreSQL repositories: the shared SQL repository on a psycopg connection."""

from __future__ import annotations

from typing import TypeVar

from tactica.codec import JsonCodec
from tactica.stores._sql._repository_async import AsyncSQLRepository
from tactica.stores._sql._repository_sync import SQLRepository
from tactica.stores.postgres._connection import AsyncPostgresConnection, PostgresConnection

__all__ = ["AsyncPostgresRepository", "PostgresRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class AsyncPostgresRepository(AsyncSQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows in PostgreSQL (async); one instance is one session.

    Same behaviour and contract as the in-memory and SQLite repositories; a stale write is
    an ``UPDATE ... WHERE version = ?`` that changes no row, reported as `ConcurrencyError`.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        connection: AsyncPostgresConnection,
        *,
        codec: JsonCodec | None = None,
        type_name: str | None = None,
    ) -> None:
        """Store `aggregate_type` through `connection`; rows are keyed by `type_name`."""
        super().__init__(aggregate_type, connection, codec=codec, type_name=type_name)


class PostgresRepository(SQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows in PostgreSQL; one instance is one session of work.

    Same behaviour and contract as the in-memory and SQLite repositories; a stale write is
    an ``UPDATE ... WHERE version = ?`` that changes no row, reported as `ConcurrencyError`.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        connection: PostgresConnection,
        *,
        codec: JsonCodec | None = None,
        type_name: str | None = None,
    ) -> None:
        """Store `aggregate_type` through `connection`; rows are keyed by `type_name`."""
        super().__init__(aggregate_type, connection, codec=codec, type_name=type_name)
