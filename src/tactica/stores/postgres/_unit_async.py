"""The PostgreSQL unit of work (async colour)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_async import AsyncSQLUnitOfWork, async_checked_inline
from tactica.stores.postgres._connection import AsyncPostgresConnection
from tactica.stores.postgres._database_async import AsyncPostgresDatabase

__all__ = ["AsyncPostgresUnitOfWork"]


class AsyncPostgresUnitOfWork(AsyncSQLUnitOfWork):
    """A unit of work on one PostgreSQL connection: one transaction per commit.

    Make repositories with `repository` in your subclass's ``__init__``. Given an
    `AsyncPostgresDatabase` (the recommended way) or a pool, the unit borrows a pooled
    connection and gives it back, rolled back and reset, when it is left; given a
    connection string, the connection is its own and is closed when it is left.
    """

    def __init__(
        self,
        source: str | AsyncConnectionPool[Any] | AsyncPostgresDatabase,
        *,
        codec: JsonCodec | None = None,
        namespace: str | None = None,
        inline: Sequence[ProjectionLike] = (),
    ) -> None:
        """Work on a connection of a database's pool, of a pool, or of a libpq string.

        A pool saves the connection set-up (milliseconds) per unit of work; the borrowed
        connection goes back when the unit of work is left. With `namespace` (by default
        a database's own), tactica's tables are those of that PostgreSQL schema. They must
        exist: `create_schema`. A closed database raises `DatabaseConnectionError`.
        """
        async_checked_inline(inline)  # before the connection opens: a refusal leaks nothing
        if isinstance(source, AsyncPostgresDatabase):
            source.check_open()
            namespace = source.namespace if namespace is None else namespace
        super().__init__(
            AsyncPostgresConnection(source, namespace=namespace), codec=codec, inline=inline
        )
