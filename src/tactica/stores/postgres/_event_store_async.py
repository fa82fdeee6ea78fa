"""The PostgreSQL event store (async colour)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from psycopg_pool import AsyncConnectionPool

from tactica._acompat import AsyncLock
from tactica.errors import DatabaseConnectionError
from tactica.ports._events import MAX_EVENT_BYTES
from tactica.ports._store_base_async import checked_max_bytes
from tactica.stores._sql._event_store_async import (
    AsyncSQLEventStore,
    Connections,
    GlobalOrder,
    checked_global_order,
)
from tactica.stores._sql._protocol_async import AsyncSQLConnection
from tactica.stores.postgres._connection import AsyncPostgresConnection
from tactica.stores.postgres._projections_async import AsyncPostgresProjections

__all__ = ["AsyncPostgresEventStore"]


def _pooled(pool: AsyncConnectionPool[Any], namespace: str | None) -> Connections:
    @asynccontextmanager
    async def lend() -> AsyncGenerator[AsyncSQLConnection]:
        connection = AsyncPostgresConnection(pool, namespace=namespace)
        try:
            yield connection
        finally:
            await connection.close()

    return lend


class AsyncPostgresEventStore(AsyncPostgresProjections, AsyncSQLEventStore):
    """An event store in PostgreSQL, on one connection of its own or on a psycopg pool.

    Global reads are gap-free by default through the xid8 horizon: each event keeps its
    writing transaction's id, and `read_all` returns only events of transactions older
    than every one still running, ordered by transaction then position, so an append that
    commits late is never skipped by a reader who moved on. ``global_order="table_lock"``
    instead serialises appends with a table lock and reads in position order. With
    `namespace`, the tables live in that PostgreSQL schema. Create the tables first with
    `create_schema` on a connection with the same namespace.

    For projections, runners take an advisory-lock lease and LISTEN for appends on
    connections of their own (from the pool, or opened with the connection string).
    """

    def __init__(
        self,
        source: str | AsyncConnectionPool[Any],
        *,
        global_order: GlobalOrder = "horizon",
        max_event_bytes: int = MAX_EVENT_BYTES,
        namespace: str | None = None,
    ) -> None:
        """Connect with a libpq string (one connection), or lend from a pool per operation."""
        checked_max_bytes(max_event_bytes)  # before a connection opens: nothing leaks
        checked_global_order(global_order)
        self._kept: AsyncPostgresConnection | None = None
        self._source = source
        self.namespace = namespace
        if isinstance(source, str):
            self._kept = AsyncPostgresConnection(source, namespace=namespace)
            connections = self._renewed_kept_connection()
        else:
            connections = _pooled(source, namespace)
        super().__init__(connections, max_event_bytes=max_event_bytes, global_order=global_order)

    def _renewed_kept_connection(self) -> Connections:
        """Lend the store's own connection; after it is lost, lend a new one."""
        lock = AsyncLock()
        source = self._source
        assert isinstance(source, str)

        @asynccontextmanager
        async def lend() -> AsyncGenerator[AsyncSQLConnection]:
            async with lock:
                if self._kept is None:
                    self._kept = AsyncPostgresConnection(source, namespace=self.namespace)
                try:
                    yield self._kept
                except DatabaseConnectionError:
                    # A server restart must not leave the store on a dead connection for good.
                    broken, self._kept = self._kept, None
                    with contextlib.suppress(Exception):
                        await broken.close()
                    raise

        return lend

    async def close(self) -> None:
        """Close the store's own connection (a pool is yours to close)."""
        if self._kept is not None:
            await self._kept.close()
