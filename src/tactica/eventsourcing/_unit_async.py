"""The event-sourced unit of work (async colour): every touched stream in one store commit."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.errors import WrongExpectedVersionError
from tactica.eventsourcing._checks import check_codec, check_has, snapshot_policy
from tactica.eventsourcing._repository_async import AsyncEventSourcedRepository
from tactica.outbox import OutboxMessage
from tactica.ports._event_store_async import AsyncEventStore
from tactica.ports._snapshots_async import AsyncSnapshotStore
from tactica.uow._unit_async import AsyncUnitOfWork

__all__ = ["AsyncEventSourcedUnitOfWork"]

A = TypeVar("A")


class AsyncEventSourcedUnitOfWork(AsyncUnitOfWork):
    """A unit of work over an event store: every touched stream in one atomic commit.

    The new events of every touched aggregate are appended, each stream at the version it
    was read, together with the outbox rows of integration events.

    Make repositories with `event_sourced` in your subclass's ``__init__``. Any event store
    works (memory, SQLite, PostgreSQL, SQLAlchemy); to mix state-stored and event-sourced
    aggregates in one SQL transaction, use the SQL unit of work's ``event_sourced``.
    """

    def __init__(self, store: AsyncEventStore, *, codec: JsonCodec | None = None) -> None:
        """Work on `store`; `codec` encodes outbox payloads."""
        check_has(type(self).__name__, "an event store as store", store, "read", "commit")
        super().__init__(codec=check_codec(type(self).__name__, codec))
        self.store = store

    def event_sourced(
        self,
        aggregate_type: type[A],
        *,
        codec: JsonCodec | None = None,
        upcasters: Upcasters | None = None,
        stream_prefix: str | None = None,
        snapshots: AsyncSnapshotStore | bool | None = None,
        snapshot_every: int | None = None,
    ) -> AsyncEventSourcedRepository[A, Any]:
        """Return a tracked repository of the event-sourced `aggregate_type` on the store.

        Snapshots follow the rule of every unit's ``event_sourced``: pass a snapshot store
        (an `AsyncSnapshotCache`, say) as `snapshots`, or ``snapshots=True`` or a
        `snapshot_every` alone to keep them in this unit's event store; a load that folds
        `snapshot_every` events (default 100) saves one.
        """
        keeper, every = snapshot_policy(
            cast("AsyncSnapshotStore", self.store),
            snapshots=snapshots,
            snapshot_every=snapshot_every,
        )
        return self.track(
            AsyncEventSourcedRepository(
                aggregate_type,
                self.store,
                codec=codec,
                upcasters=upcasters,
                stream_prefix=stream_prefix,
                snapshots=keeper,
                snapshot_every=every,
            )
        )

    async def _store(self, outbox: list[OutboxMessage]) -> int:
        repositories: list[AsyncEventSourcedRepository[Any, Any]] = self._repositories
        parts = [(repository, repository.pending_appends()) for repository in repositories]
        appends = [append for _, appends in parts for append in appends]
        if not appends and not outbox:
            return 0
        try:
            results = await self.store.commit(appends, outbox=outbox)
        except WrongExpectedVersionError as error:
            owner = next(r for r, own in parts if any(a.stream_id == error.stream_id for a in own))
            raise owner.conflict(error) from error
        for repository, _ in parts:
            repository.acknowledge(results)
        return max((result.position for result in results), default=0)
