# Generated from _unit_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The PostgreSQL unit of work (sync colour)."""

from __future__ import annotations

from tactica.codec import JsonCodec
from tactica.stores.postgres._connection import PostgresConnection
from tactica.uow._sql_sync import SQLUnitOfWork

__all__ = ["PostgresUnitOfWork"]


class PostgresUnitOfWork(SQLUnitOfWork):
    """A unit of work on one PostgreSQL connection: one transaction per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the connection
    opens on first use and is closed when the unit of work is left.
    """

    def __init__(self, conninfo: str, *, codec: JsonCodec | None = None) -> None:
        """Work on the database `conninfo` names (its schema must exist: `create_schema`)."""
        super().__init__(PostgresConnection(conninfo), codec=codec)
