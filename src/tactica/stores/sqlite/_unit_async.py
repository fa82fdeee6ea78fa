"""The SQLite unit of work (async colour)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_async import AsyncSQLUnitOfWork, async_checked_inline
from tactica.stores.sqlite._connection import DEFAULT_BUSY_TIMEOUT, AsyncSQLiteConnection

__all__ = ["AsyncSQLiteUnitOfWork"]


class AsyncSQLiteUnitOfWork(AsyncSQLUnitOfWork):
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
        """Work on the database file at `path` (its schema must exist: `async_create_schema`).

        A commit waits up to `busy_timeout` seconds for another connection's write lock,
        then raises `LockTimeoutError` and stores nothing.
        """
        async_checked_inline(inline)  # before the connection opens: a refusal leaks nothing
        super().__init__(
            AsyncSQLiteConnection(path, busy_timeout=busy_timeout), codec=codec, inline=inline
        )
