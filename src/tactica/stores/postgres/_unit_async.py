"""The PostgreSQL unit of work (async colour)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_async import AsyncSQLUnitOfWork, async_checked_inline
from tactica.stores.postgres._connection import AsyncPostgresConnection

__all__ = ["AsyncPostgresUnitOfWork"]


class AsyncPostgresUnitOfWork(AsyncSQLUnitOfWork):
    """A unit of work on one PostgreSQL connection: one transaction per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the connection is
    the unit of work's own and is closed when the unit of work is left.
    """

    def __init__(
        self,
        source: str | AsyncConnectionPool[Any],
        *,
        codec: JsonCodec | None = None,
        namespace: str | None = None,
        inline: Sequence[ProjectionLike] = (),
    ) -> None:
        """Work on the database a libpq string names, or on a connection from a pool.

        A pool saves the connection set-up (milliseconds) per unit of work; the borrowed
        connection goes back when the unit of work is left. With `namespace`, tactica's
        tables are those of that PostgreSQL schema. They must exist: `create_schema`.
        """
        async_checked_inline(inline)  # before the connection opens: a refusal leaks nothing
        super().__init__(
            AsyncPostgresConnection(source, namespace=namespace), codec=codec, inline=inline
        )
