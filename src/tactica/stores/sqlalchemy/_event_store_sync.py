# Generated from _event_store_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQLAlchemy event store (sync colour): tactica's event SQL on SQLAlchemy sessions."""

from __future__ import annotations

from collections.abc import Generator, Callable
from contextlib import contextmanager

from tactica.ports._events import MAX_EVENT_BYTES
from tactica.stores._sql._event_store_sync import SQLEventStore, Connections, GlobalOrder
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores.sqlalchemy._compat import Session
from tactica.stores.sqlalchemy._connection_sync import SQLAlchemyConnection

__all__ = ["SQLAlchemyEventStore"]


def _sessions(session_factory: Callable[[], Session]) -> Connections:
    @contextmanager
    def lend() -> Generator[SQLConnection]:
        with session_factory() as session:
            yield SQLAlchemyConnection(session)

    return lend


class SQLAlchemyEventStore(SQLEventStore):
    """An event store on SQLAlchemy sessions (SQLite or PostgreSQL): a new one per operation.

    The same SQL and the same guarantees as the SQLite and PostgreSQL stores; use it where
    SQLAlchemy owns the engine. Create tactica's tables first with
    ``create_schema(SQLAlchemyConnection(session))``.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        global_order: GlobalOrder = "horizon",
        max_event_bytes: int = MAX_EVENT_BYTES,
    ) -> None:
        """Open a session from `session_factory` (a ``sessionmaker``) for every operation."""
        super().__init__(
            _sessions(session_factory),
            max_event_bytes=max_event_bytes,
            global_order=global_order,
        )
