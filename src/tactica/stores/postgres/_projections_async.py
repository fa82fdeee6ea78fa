"""Projections on PostgreSQL (async colour): advisory-lock leases and LISTEN wake-ups.

The lease is a session advisory lock on a connection of its own: the server frees it the
moment the holder's connection dies, so a standby takes over at its next poll. Writers
send a payload-free ``NOTIFY`` in each append's transaction (one channel per database,
whatever the namespace: a spurious wake-up costs one read); runners LISTEN on a
connection of their own, and poll as well, since a notification is only a hint.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from psycopg_pool import AsyncConnectionPool

from tactica.errors import DatabaseConnectionError
from tactica.ports._projections_async import AsyncLease, AsyncListener
from tactica.stores._sql._event_rows import NOTIFY_CHANNEL
from tactica.stores._sql._identifiers import quoted
from tactica.stores._sql._projections_async import AsyncSQLProjections
from tactica.stores._wakeups import AsyncInProcessListener
from tactica.stores.postgres._connection import AsyncPostgresConnection

__all__ = ["AsyncPostgresLease", "AsyncPostgresListener", "AsyncPostgresProjections"]

Source = str | AsyncConnectionPool[Any]


class AsyncPostgresLease:
    """A session advisory lock, held on a connection of its own while the runner works."""

    def __init__(self, source: Source, namespace: str | None, name: str) -> None:
        """Lease `name` (within `namespace`) with connections from `source`."""
        self._source = source
        self._namespace = namespace
        self._key = f"tactica.projection:{namespace or ''}:{name}"
        self._connection: AsyncPostgresConnection | None = None
        self._held = False

    async def acquire(self) -> bool:
        """Take or keep the lease; return whether this runner holds it now."""
        if self._connection is None:
            self._connection = AsyncPostgresConnection(self._source, namespace=self._namespace)
        try:
            if self._held:
                await self._connection.fetch("SELECT 1")
            else:
                rows = await self._connection.fetch(
                    "SELECT pg_try_advisory_lock(hashtextextended(?, 0))", (self._key,)
                )
                self._held = bool(rows[0][0])
        except DatabaseConnectionError:
            # The server freed the lock with the connection: another runner may have it.
            await self.release()
            return False
        return self._held

    async def release(self) -> None:
        """Give the lease up at once, so that a standby takes over at its next poll."""
        connection, self._connection = self._connection, None
        held, self._held = self._held, False
        if connection is None:
            return
        try:
            if held:
                # A pooled connection outlives this lease: its session lock must go first.
                await connection.fetch(
                    "SELECT pg_advisory_unlock(hashtextextended(?, 0))", (self._key,)
                )
        except DatabaseConnectionError:
            pass  # the server freed the lock with the connection
        finally:
            await connection.close()


class AsyncPostgresListener:
    """Wake-ups from LISTEN on a connection of its own, and from this process's commits.

    A lost connection is opened again at the next wait; meanwhile the runner polls.
    """

    def __init__(
        self, source: Source, namespace: str | None, local: AsyncInProcessListener
    ) -> None:
        """LISTEN with connections from `source`; also wake on `local` signals."""
        self._source = source
        self._namespace = namespace
        self._local = local
        self._connection: AsyncPostgresConnection | None = None

    async def wait(self, timeout: float) -> None:
        """Return after a notification, or after `timeout` s."""
        try:
            if self._connection is None:
                connection = AsyncPostgresConnection(self._source, namespace=self._namespace)
                self._connection = connection
                await connection.execute(f"LISTEN {quoted(NOTIFY_CHANNEL)}")
            await self._connection.wait_notification(timeout)
        except DatabaseConnectionError:
            await self.close()
            await self._local.wait(timeout)

    async def close(self) -> None:
        """Stop listening and close the connection."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(DatabaseConnectionError):
                await connection.close()


class AsyncPostgresProjections(AsyncSQLProjections):
    """The projection port of the PostgreSQL event store."""

    _source: Source
    namespace: str | None

    def lease(self, projection: str, *, ttl: float) -> AsyncLease:
        """Return the lease of `projection`: an advisory lock, freed when its holder dies.

        `ttl` is not needed: the server frees the lock as soon as the connection is gone.
        """
        del ttl
        return AsyncPostgresLease(self._source, self.namespace, projection)

    def listen(self) -> AbstractAsyncContextManager[AsyncListener]:
        """Return wake-ups from LISTEN (for every process's appends) on its own connection."""
        return self._listening()

    @asynccontextmanager
    async def _listening(self) -> AsyncGenerator[AsyncListener]:
        local = AsyncInProcessListener(self.wakeups)
        listener = AsyncPostgresListener(self._source, self.namespace, local)
        try:
            yield listener
        finally:
            await listener.close()
