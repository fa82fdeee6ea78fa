"""The part of every repository (async colour) that does not depend on where it stores.

Backends subclass `AsyncTrackedRepository` and say how to load one aggregate; tracking,
identity map, `get`/`find` semantics and deletion marks are the same for all of them.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from tactica.errors import AggregateNotFoundError
from tactica.stores._sql._protocol_async import AsyncSQLConnection
from tactica.uow._session import PendingWrite, SessionTracker, checked_id, id_of

__all__ = ["AsyncSQLTrackedRepository", "AsyncTrackedRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class AsyncTrackedRepository(Generic[TAggregate, TId]):
    """A repository session: what was handed out, added or deleted, and what changed."""

    aggregate_type: type[TAggregate]
    tracker: SessionTracker[TAggregate]

    @property
    def seen(self) -> tuple[TAggregate, ...]:
        """The aggregates this repository tracks, for collecting their recorded events.

        Handed out, added, or deleted and not yet committed (their events still count).
        Tracking survives `commit` and ends with `rollback`.
        """
        return self.tracker.seen

    async def add(self, aggregate: TAggregate) -> None:
        """Track a new aggregate; it is inserted on `commit`."""
        checked_id(self.aggregate_type, id_of(aggregate))
        self.tracker.add(aggregate)

    async def get(self, aggregate_id: TId) -> TAggregate:
        """Return the aggregate with this id; raise `AggregateNotFoundError` if there is none."""
        found = await self.find(aggregate_id)
        if found is None:
            raise AggregateNotFoundError(self.aggregate_type.__qualname__, aggregate_id)
        return found

    async def find(self, aggregate_id: TId) -> TAggregate | None:
        """Return the aggregate with this id, or ``None`` if there is none."""
        checked_id(self.aggregate_type, aggregate_id)
        if self.tracker.is_deleted(aggregate_id):
            return None
        tracked = self.tracker.identity_map.get(aggregate_id)
        if tracked is not None:
            return tracked
        loaded = await self._load(aggregate_id)
        if loaded is None:
            return None
        aggregate, version = loaded
        self.tracker.loaded(aggregate_id, aggregate, version)
        return aggregate

    async def delete(self, aggregate: TAggregate) -> None:
        """Mark the aggregate for deletion on `commit` (version-checked like an update)."""
        self.tracker.delete(aggregate)

    async def rollback(self) -> None:
        """Forget every uncommitted change and stop tracking; load again to go on."""
        self.tracker.clear()

    async def _load(self, aggregate_id: Any) -> tuple[TAggregate, int] | None:
        """Read one stored aggregate and its version, detached from storage; None if absent."""
        raise NotImplementedError


class AsyncSQLTrackedRepository(AsyncTrackedRepository[TAggregate, TId]):
    """A tracked repository that writes through a SQL connection, one transaction a commit."""

    connection: AsyncSQLConnection

    async def commit(self) -> None:
        """Store every change in one transaction; on conflict raise and store nothing."""
        await self.connection.begin()
        try:
            writes = await self.write()
            await self.connection.commit()
        except BaseException:
            await self.connection.rollback()
            raise
        self.acknowledge(writes)

    async def write(self) -> list[PendingWrite[TAggregate]]:
        """Make this session's writes in the caller's open transaction; raise on conflict.

        For a unit of work that commits several repositories together; call `acknowledge`
        with the result once the transaction has committed.
        """
        raise NotImplementedError

    def acknowledge(self, writes: list[PendingWrite[TAggregate]]) -> None:
        """Take note that `writes` were committed."""
        self.tracker.acknowledge((write.aggregate_id, write.expected_version) for write in writes)
