"""The SQLAlchemy event store (async colour): tactica's event SQL on SQLAlchemy sessions."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager

from tactica.ports._events import MAX_EVENT_BYTES
from tactica.stores._sql._event_store_async import AsyncSQLEventStore, Connections, GlobalOrder
from tactica.stores._sql._protocol_async import AsyncSQLConnection
from tactica.stores.sqlalchemy._compat import AsyncSession
from tactica.stores.sqlalchemy._connection_async import AsyncSQLAlchemyConnection

__all__ = ["AsyncSQLAlchemyEventStore"]


def _sessions(session_factory: Callable[[], AsyncSession]) -> Connections:
    @asynccontextmanager
    async def lend() -> AsyncGenerator[AsyncSQLConnection]:
        async with session_factory() as session:
            yield AsyncSQLAlchemyConnection(session)

    return lend


class AsyncSQLAlchemyEventStore(AsyncSQLEventStore):
    """An event store on SQLAlchemy sessions (SQLite or PostgreSQL): a new one per operation.

    The same SQL and the same guarantees as the SQLite and PostgreSQL stores; use it where
    SQLAlchemy owns the engine. Create tactica's tables first with
    ``create_schema(SQLAlchemyConnection(session))``.
    """

    def __init__(
        self,
        session_factory: Callable[[], AsyncSession],
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
