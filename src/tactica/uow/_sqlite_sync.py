# Generated from _sqlite_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQLite unit of work (sync colour): every tracked repository in one transaction."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.stores.sqlite._connection import SQLiteConnection
from tactica.stores.sqlite._repository import SQLiteRepository
from tactica.uow._unit_sync import UnitOfWork

__all__ = ["SQLiteUnitOfWork"]

R = TypeVar("R")


class SQLiteUnitOfWork(UnitOfWork):
    """A unit of work on one SQLite connection: one ``BEGIN IMMEDIATE`` per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the connection is
    opened with the unit of work and closed when it is left.
    """

    def __init__(self, path: str | Path, *, codec: JsonCodec | None = None) -> None:
        """Work on the database file at `path` (its schema must exist: `create_schema`)."""
        super().__init__()
        self.codec = codec or JsonCodec()
        self.connection = SQLiteConnection(path)

    def repository(
        self, aggregate_type: type[R], *, type_name: str | None = None
    ) -> SQLiteRepository[R, Any]:
        """Return a tracked repository of `aggregate_type` on this unit's connection."""
        return self.track(
            SQLiteRepository(
                aggregate_type, self.connection, codec=self.codec, type_name=type_name
            )
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back what was not committed, then close the connection."""
        try:
            super().__exit__(exc_type, exc, traceback)
        finally:
            self.connection.close()

    def _store(self) -> None:
        self.connection.begin()
        try:
            writes = [(repository, repository.write()) for repository in self._repositories]
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        for repository, written in writes:
            repository.acknowledge(written)

    def _discard(self) -> None:
        for repository in self._repositories:
            repository.rollback()
