"""The SQLite event store (async colour)."""

from __future__ import annotations

from pathlib import Path

from tactica.ports._events import MAX_EVENT_BYTES
from tactica.ports._store_base_async import checked_max_bytes
from tactica.stores._sql._event_store_async import AsyncSQLEventStore, async_kept_connection
from tactica.stores._wakeups import wakeups_for
from tactica.stores.sqlite._connection import DEFAULT_BUSY_TIMEOUT, AsyncSQLiteConnection

__all__ = ["AsyncSQLiteEventStore"]


class AsyncSQLiteEventStore(AsyncSQLEventStore):
    """An event store in a SQLite file (or ``":memory:"``), on one connection of its own.

    Appends are ``BEGIN IMMEDIATE`` transactions in WAL mode: writers from other
    connections or processes queue for the write lock (up to the busy timeout) instead of
    failing with "database is locked", and one writer at a time makes position order the
    commit order. Create the tables first with `create_schema` (or `async_create_schema`).

    Examples:
        >>> import asyncio
        >>> from tactica.stores.sqlite import AsyncSQLiteConnection, AsyncSQLiteEventStore
        >>> from tactica.stores.sqlite import async_create_schema
        >>> from tactica.testing import new_event
        >>> async def main() -> int:
        ...     store = AsyncSQLiteEventStore(":memory:")
        ...     await async_create_schema(store.connection)
        ...     result = await store.append("cart-1", [new_event(), new_event()])
        ...     await store.close()
        ...     return result.stream_version
        >>> asyncio.run(main())
        2
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_event_bytes: int = MAX_EVENT_BYTES,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        """Open the database at `path`; refuse documents over `max_event_bytes`.

        A write waits up to `busy_timeout` seconds for another connection's write lock,
        then raises `LockTimeoutError` and stores nothing.
        """
        checked_max_bytes(max_event_bytes)  # before the connection opens: nothing leaks
        self.connection = AsyncSQLiteConnection(path, busy_timeout=busy_timeout)
        super().__init__(async_kept_connection(self.connection), max_event_bytes=max_event_bytes)
        if str(path) != ":memory:":
            # Stores of this process on the same file wake each other's runners.
            self.wakeups = wakeups_for(str(Path(path).resolve()))

    async def close(self) -> None:
        """Close the store's connection."""
        await self.connection.close()
