# Generated from _event_store_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The PostgreSQL event store (sync colour)."""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from psycopg_pool import ConnectionPool

from tactica._acompat import Lock
from tactica.errors import DatabaseConnectionError
from tactica.ports._events import MAX_EVENT_BYTES
from tactica.ports._store_base_sync import checked_max_bytes
from tactica.stores._sql._event_store_sync import (
    SQLEventStore,
    Connections,
    GlobalOrder,
    checked_global_order,
)
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores.postgres._connection import PostgresConnection
from tactica.stores.postgres._projections_sync import PostgresProjections

__all__ = ["PostgresEventStore"]


def _pooled(pool: ConnectionPool[Any], namespace: str | None) -> Connections:
    @contextmanager
    def lend() -> Generator[SQLConnection]:
        connection = PostgresConnection(pool, namespace=namespace)
        try:
            yield connection
        finally:
            connection.close()

    return lend


class PostgresEventStore(PostgresProjections, SQLEventStore):
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
        source: str | ConnectionPool[Any],
        *,
        global_order: GlobalOrder = "horizon",
        max_event_bytes: int = MAX_EVENT_BYTES,
        namespace: str | None = None,
    ) -> None:
        """Connect with a libpq string (one connection), or lend from a pool per operation."""
        checked_max_bytes(max_event_bytes)  # before a connection opens: nothing leaks
        checked_global_order(global_order)
        self._kept: PostgresConnection | None = None
        self._source = source
        self.namespace = namespace
        if isinstance(source, str):
            self._kept = PostgresConnection(source, namespace=namespace)
            connections = self._renewed_kept_connection()
        else:
            connections = _pooled(source, namespace)
        super().__init__(connections, max_event_bytes=max_event_bytes, global_order=global_order)

    def _renewed_kept_connection(self) -> Connections:
        """Lend the store's own connection; after it is lost, lend a new one."""
        lock = Lock()
        source = self._source
        assert isinstance(source, str)

        @contextmanager
        def lend() -> Generator[SQLConnection]:
            with lock:
                if self._kept is None:
                    self._kept = PostgresConnection(source, namespace=self.namespace)
                try:
                    yield self._kept
                except DatabaseConnectionError:
                    # A server restart must not leave the store on a dead connection for good.
                    broken, self._kept = self._kept, None
                    with contextlib.suppress(Exception):
                        broken.close()
                    raise

        return lend

    def close(self) -> None:
        """Close the store's own connection (a pool is yours to close)."""
        if self._kept is not None:
            self._kept.close()
