"""The SQLite repositories: the shared SQL repository on a SQLite connection."""

from __future__ import annotations

from typing import TypeVar

from tactica.codec import JsonCodec
from tactica.stores._sql._repository_async import AsyncSQLRepository
from tactica.stores._sql._repository_sync import SQLRepository
from tactica.stores.sqlite._connection import AsyncSQLiteConnection, SQLiteConnection

__all__ = ["AsyncSQLiteRepository", "SQLiteRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class AsyncSQLiteRepository(AsyncSQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows in SQLite (async); one instance is one session of work.

    It behaves exactly like the in-memory repository (both pass the same contract): an
    identity map, only changed aggregates written, stale writes refused with
    `ConcurrencyError`, tracking that survives `commit`.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        connection: AsyncSQLiteConnection,
        *,
        codec: JsonCodec | None = None,
        type_name: str | None = None,
    ) -> None:
        """Store `aggregate_type` through `connection`; rows are keyed by `type_name`."""
        super().__init__(aggregate_type, connection, codec=codec, type_name=type_name)


class SQLiteRepository(SQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows in SQLite; one instance is one session of work.

    It behaves exactly like the in-memory repository (both pass the same contract): an
    identity map, only changed aggregates written, stale writes refused with
    `ConcurrencyError`, tracking that survives `commit`.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        connection: SQLiteConnection,
        *,
        codec: JsonCodec | None = None,
        type_name: str | None = None,
    ) -> None:
        """Store `aggregate_type` through `connection`; rows are keyed by `type_name`."""
        super().__init__(aggregate_type, connection, codec=codec, type_name=type_name)
