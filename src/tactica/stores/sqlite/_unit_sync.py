# Generated from _unit_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQLite unit of work (sync colour)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_sync import SQLUnitOfWork, checked_inline
from tactica.stores.sqlite._connection import DEFAULT_BUSY_TIMEOUT, SQLiteConnection
from tactica.stores.sqlite._database_sync import LentSQLiteConnection, SQLiteDatabase

__all__ = ["SQLiteUnitOfWork"]


class SQLiteUnitOfWork(SQLUnitOfWork):
    """A unit of work on one SQLite connection: one ``BEGIN IMMEDIATE`` per commit.

    Make repositories with `repository` in your subclass's ``__init__``. Given an
    `SQLiteDatabase`, the unit borrows one of its kept connections and gives it back,
    rolled back, when it is left (the recommended way: no connection is opened per command);
    given a path, it opens a connection of its own and closes it when it is left.
    """

    def __init__(
        self,
        path: str | Path | SQLiteDatabase,
        *,
        codec: JsonCodec | None = None,
        inline: Sequence[ProjectionLike] = (),
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        """Work on a kept connection of `path` when it is a database, else on the file there.

        The schema must exist (`create_schema`). A commit waits up to `busy_timeout`
        seconds (a database's own, when given one) for another connection's write lock,
        then raises `LockTimeoutError` and stores nothing. A closed database raises
        `DatabaseConnectionError`.
        """
        checked_inline(inline)  # before the connection opens: a refusal leaks nothing
        connection: SQLiteConnection | LentSQLiteConnection
        if isinstance(path, SQLiteDatabase):
            connection = path.lend()
        else:
            connection = SQLiteConnection(path, busy_timeout=busy_timeout)
        super().__init__(connection, codec=codec, inline=inline)
