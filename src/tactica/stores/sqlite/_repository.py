"""The SQLite repositories: the shared SQL repository, named for SQLite connections."""

from __future__ import annotations

from typing import TypeVar

from tactica.stores._sql._repository_async import AsyncSQLRepository
from tactica.stores._sql._repository_sync import SQLRepository

__all__ = ["AsyncSQLiteRepository", "SQLiteRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class AsyncSQLiteRepository(AsyncSQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows through an `AsyncSQLiteConnection`; one session each."""


class SQLiteRepository(SQLRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows through a `SQLiteConnection`; one session each."""
