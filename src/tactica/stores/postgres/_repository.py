"""The PostgreSQL repositories: the shared SQL repository, named for psycopg connections."""

from __future__ import annotations

from typing import TypeVar

from tactica.stores._sql._repository_async import AsyncSQLRepository
from tactica.stores._sql._repository_sync import SQLRepository

__all__ = ["AsyncPostgresRepository", "PostgresRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class AsyncPostgresRepository(AsyncSQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows through an `AsyncPostgresConnection`; one session each."""


class PostgresRepository(SQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows through a `PostgresConnection`; one session each."""
