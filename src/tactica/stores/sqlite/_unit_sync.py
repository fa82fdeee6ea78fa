# Generated from _unit_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQLite unit of work (sync colour)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_sync import SQLUnitOfWork, checked_inline
from tactica.stores.sqlite._connection import DEFAULT_BUSY_TIMEOUT, SQLiteConnection

__all__ = ["SQLiteUnitOfWork"]


class SQLiteUnitOfWork(SQLUnitOfWork):
    """A unit of work on one SQLite connection: one ``BEGIN IMMEDIATE`` per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the connection is
    opened with the unit of work and closed when it is left.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        codec: JsonCodec | None = None,
        inline: Sequence[ProjectionLike] = (),
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        """Work on the database file at `path` (its schema must exist: `create_schema`).

        A commit waits up to `busy_timeout` seconds for another connection's write lock,
        then raises `LockTimeoutError` and stores nothing.
        """
        checked_inline(inline)  # before the connection opens: a refusal leaks nothing
        super().__init__(
            SQLiteConnection(path, busy_timeout=busy_timeout), codec=codec, inline=inline
        )
