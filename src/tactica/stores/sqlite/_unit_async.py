"""The SQLite unit of work (async colour)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_async import AsyncSQLUnitOfWork, async_checked_inline
from tactica.stores.sqlite._connection import DEFAULT_BUSY_TIMEOUT, AsyncSQLiteConnection
from tactica.stores.sqlite._database_async import AsyncLentSQLiteConnection, AsyncSQLiteDatabase

__all__ = ["AsyncSQLiteUnitOfWork"]


class AsyncSQLiteUnitOfWork(AsyncSQLUnitOfWork):
    """A unit of work on one SQLite connection: one ``BEGIN IMMEDIATE`` per commit.

    Make repositories with `repository` in your subclass's ``__init__``. Given an
    `AsyncSQLiteDatabase`, the unit borrows one of its kept connections and gives it back,
    rolled back, when it is left (the recommended way: no connection is opened per command);
    given a path, it opens a connection of its own and closes it when it is left.
    """

    def __init__(
        self,
        path: str | Path | AsyncSQLiteDatabase,
        *,
        codec: JsonCodec | None = None,
        inline: Sequence[ProjectionLike] = (),
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        """Work on a kept connection of `path` when it is a database, else on the file there.

        The schema must exist (`async_create_schema`). A commit waits up to `busy_timeout`
        seconds (a database's own, when given one) for another connection's write lock,
        then raises `LockTimeoutError` and stores nothing. A closed database raises
        `DatabaseConnectionError`.
        """
        async_checked_inline(inline)  # before the connection opens: a refusal leaks nothing
        connection: AsyncSQLiteConnection | AsyncLentSQLiteConnection
        if isinstance(path, AsyncSQLiteDatabase):
            connection = path.lend()
        else:
            connection = AsyncSQLiteConnection(path, busy_timeout=busy_timeout)
        super().__init__(connection, codec=codec, inline=inline)
