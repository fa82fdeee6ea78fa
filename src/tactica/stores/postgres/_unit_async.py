"""The PostgreSQL unit of work (async colour)."""

from __future__ import annotations

from tactica.codec import JsonCodec
from tactica.stores.postgres._connection import AsyncPostgresConnection
from tactica.uow._sql_async import AsyncSQLUnitOfWork

__all__ = ["AsyncPostgresUnitOfWork"]


class AsyncPostgresUnitOfWork(AsyncSQLUnitOfWork):
    """A unit of work on one PostgreSQL connection: one transaction per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the connection
    opens on first use and is closed when the unit of work is left.
    """

    def __init__(self, conninfo: str, *, codec: JsonCodec | None = None) -> None:
        """Work on the database `conninfo` names (its schema must exist: `create_schema`)."""
        super().__init__(AsyncPostgresConnection(conninfo), codec=codec)
