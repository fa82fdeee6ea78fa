"""The SQLite unit of work (async colour): every tracked repository in one transaction."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.stores.sqlite._connection import AsyncSQLiteConnection
from tactica.stores.sqlite._repository import AsyncSQLiteRepository
from tactica.uow._unit_async import AsyncUnitOfWork

__all__ = ["AsyncSQLiteUnitOfWork"]

R = TypeVar("R")


class AsyncSQLiteUnitOfWork(AsyncUnitOfWork):
    """A unit of work on one SQLite connection: one ``BEGIN IMMEDIATE`` per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the connection is
    opened with the unit of work and closed when it is left.
    """

    def __init__(self, path: str | Path, *, codec: JsonCodec | None = None) -> None:
        """Work on the database file at `path` (its schema must exist: `async_create_schema`)."""
        super().__init__()
        self.codec = codec or JsonCodec()
        self.connection = AsyncSQLiteConnection(path)

    def repository(
        self, aggregate_type: type[R], *, type_name: str | None = None
    ) -> AsyncSQLiteRepository[R, Any]:
        """Return a tracked repository of `aggregate_type` on this unit's connection."""
        return self.track(
            AsyncSQLiteRepository(
                aggregate_type, self.connection, codec=self.codec, type_name=type_name
            )
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back what was not committed, then close the connection."""
        try:
            await super().__aexit__(exc_type, exc, traceback)
        finally:
            await self.connection.close()

    async def _store(self) -> None:
        await self.connection.begin()
        try:
            writes = [(repository, await repository.write()) for repository in self._repositories]
            await self.connection.commit()
        except BaseException:
            await self.connection.rollback()
            raise
        for repository, written in writes:
            repository.acknowledge(written)

    async def _discard(self) -> None:
        for repository in self._repositories:
            await repository.rollback()
