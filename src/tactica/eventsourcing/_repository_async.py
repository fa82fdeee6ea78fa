"""The event-sourced repository (async colour): aggregates loaded from and saved as events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Generic, TypeVar, cast

from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.errors import (
    AggregateAlreadyExistsError,
    AggregateNotFoundError,
    ConcurrencyError,
    ConfigurationError,
    SerializationError,
    WrongExpectedVersionError,
)
from tactica.eventsourcing._streams import decode_events, default_codec, to_new_event
from tactica.ports._event_store_async import AsyncEventStore
from tactica.ports._events import AppendResult, Snapshot, StreamAppend, checked_appends
from tactica.ports._snapshots_async import AsyncSnapshotStore
from tactica.stores._sql._event_store_async import (
    AsyncSQLEventStore,
    async_kept_connection,
    async_write_appends,
)
from tactica.stores._sql._protocol_async import AsyncSQLConnection

__all__ = ["AsyncEventSourcedRepository", "AsyncSQLEventSourcedRepository"]

_logger = logging.getLogger("tactica.eventsourcing")

A = TypeVar("A")
TId = TypeVar("TId")


class AsyncEventSourcedRepository(Generic[A, TId]):
    """Loads event-sourced aggregates by replaying their stream, and appends what they record.

    Each aggregate is a stream named ``"<prefix>-<id>"``. `get` reads the stream, decodes
    every event (upcast to its current version) and replays it; the repository remembers
    the version it read, and a commit appends the pending events at exactly that version,
    so a concurrent change is a `WrongExpectedVersionError` (a `ConcurrencyError`) and
    nothing is stored. Tracking survives a commit: events appended once are never
    appended again, and the aggregate can go on changing.

    Events are decoded by registered name; the aggregate's event union (its second type
    argument) is registered by default, or pass a `codec` with your `TypeRegistry`.
    """

    def __init__(
        self,
        aggregate_type: type[A],
        store: AsyncEventStore,
        *,
        codec: JsonCodec | None = None,
        upcasters: Upcasters | None = None,
        stream_prefix: str | None = None,
        snapshots: AsyncSnapshotStore | None = None,
        snapshot_every: int = 100,
    ) -> None:
        """Keep `aggregate_type` in `store`, its streams named ``"<stream_prefix>-<id>"``.

        With `snapshots` (the event store itself, or an `AsyncSnapshotCache`), a load
        starts from the latest snapshot of the aggregate's current ``snapshot_version``
        and folds the events stored since; when it had to fold `snapshot_every` events or
        more, it saves a new snapshot.
        """
        if not hasattr(aggregate_type, "replay"):
            msg = (
                f"{aggregate_type.__qualname__} is not event-sourced: derive it from "
                "EventSourcedAggregate, or store it with a state repository"
            )
            raise ConfigurationError(msg)
        self.aggregate_type = aggregate_type
        self.store = store
        self.codec = codec or default_codec(aggregate_type)
        self.upcasters = upcasters
        self.stream_prefix = stream_prefix or aggregate_type.__qualname__
        if type(snapshot_every) is not int or snapshot_every < 1:
            msg = f"snapshot_every must be an int >= 1, not {snapshot_every!r}"
            raise ConfigurationError(msg)
        self.snapshots = snapshots
        self.snapshot_every = snapshot_every
        self._identity: dict[Any, A] = {}
        self._versions: dict[Any, int] = {}
        self._appended: dict[Any, set[int]] = {}

    def stream_id(self, aggregate_id: object) -> str:
        """Return the stream of the aggregate with this id."""
        return f"{self.stream_prefix}-{aggregate_id}"

    @property
    def seen(self) -> tuple[A, ...]:
        """The aggregates this repository tracks, for collecting their recorded events."""
        return tuple(self._identity.values())

    async def add(self, aggregate: A) -> None:
        """Track a new aggregate; its events start a new stream on commit."""
        aggregate_id = _id(aggregate)
        self._identity[aggregate_id] = aggregate
        self._versions[aggregate_id] = 0
        self._appended.setdefault(aggregate_id, set())

    async def get(self, aggregate_id: TId) -> A:
        """Return the aggregate with this id; raise `AggregateNotFoundError` if there is none."""
        found = await self.find(aggregate_id)
        if found is None:
            raise AggregateNotFoundError(self.aggregate_type.__qualname__, aggregate_id)
        return found

    async def find(self, aggregate_id: TId) -> A | None:
        """Return the aggregate with this id, or ``None`` if its stream has no events."""
        tracked = self._identity.get(aggregate_id)
        if tracked is not None:
            return tracked
        loaded = await self._load(aggregate_id)
        if loaded is None:
            return None
        aggregate, version = loaded
        self._identity[aggregate_id] = aggregate
        self._versions[aggregate_id] = version
        self._appended[aggregate_id] = set()
        return aggregate

    async def _load(self, aggregate_id: object) -> tuple[A, int] | None:
        stream_id = self.stream_id(aggregate_id)
        start = await self._from_snapshot(stream_id)
        after = 0 if start is None else _version(start)
        stored = await self.store.read(stream_id, from_version=after + 1)
        events = decode_events(self.codec, self.upcasters, stored)
        if start is None:
            if not stored:
                return None
            aggregate = self._replay(aggregate_id, events)
        else:
            aggregate = cast("Any", start).fold(events)
        version = stored[-1].stream_version if stored else after
        if self.snapshots is not None and len(stored) >= self.snapshot_every:
            await self.snapshots.save_snapshot(self._snapshot(stream_id, aggregate, version))
        return aggregate, version

    async def _from_snapshot(self, stream_id: str) -> A | None:
        if self.snapshots is None:
            return None
        snapshot = await self.snapshots.load_snapshot(stream_id)
        if (
            snapshot is None
            or snapshot.type_name != self._snapshot_name
            or snapshot.schema_version != _snapshot_version(self.aggregate_type)
        ):
            return None
        try:
            aggregate = self.codec.decode(snapshot.state, self.aggregate_type)
        except SerializationError:
            _logger.warning("ignored an unreadable snapshot of %s", stream_id, exc_info=True)
            return None
        return aggregate if _version(aggregate) == snapshot.version else None

    def _snapshot(self, stream_id: str, aggregate: A, version: int) -> Snapshot:
        return Snapshot(
            stream_id,
            version,
            self._snapshot_name,
            _snapshot_version(self.aggregate_type),
            self.codec.encode(aggregate),
        )

    @property
    def _snapshot_name(self) -> str:
        return f"{self.aggregate_type.__module__}:{self.aggregate_type.__qualname__}"

    async def get_at(self, aggregate_id: TId, version: int) -> A:
        """Return the aggregate as it was at `version` (read-only: not tracked, not saved)."""
        stored = await self.store.read(self.stream_id(aggregate_id), to_version=version)
        if not stored:
            raise AggregateNotFoundError(self.aggregate_type.__qualname__, aggregate_id)
        return self._replay(aggregate_id, decode_events(self.codec, self.upcasters, stored))

    async def delete(self, aggregate: A) -> None:
        """Refuse: an event-sourced aggregate's history is never deleted."""
        msg = (
            f"event-sourced {self.aggregate_type.__qualname__} {_id(aggregate)!r} cannot be "
            "deleted: record an event that closes it instead"
        )
        raise ConfigurationError(msg)

    async def rollback(self) -> None:
        """Forget every uncommitted change and stop tracking; load again to go on."""
        self._identity.clear()
        self._versions.clear()
        self._appended.clear()

    def pending_appends(self) -> list[StreamAppend]:
        """Return one append per aggregate with events not yet stored, at the version read."""
        appends: list[StreamAppend] = []
        for aggregate_id, aggregate in self._identity.items():
            done = self._appended[aggregate_id]
            fresh = [e for e in getattr(aggregate, "pending_events", ()) if id(e) not in done]
            if fresh:
                events = [to_new_event(self.codec, event) for event in fresh]
                expected = self._versions[aggregate_id]
                appends.append(StreamAppend(self.stream_id(aggregate_id), events, expected))
        return appends

    def acknowledge(self, results: Sequence[AppendResult]) -> None:
        """Take note that the pending appends were stored with these results."""
        by_stream = {result.stream_id: result for result in results}
        for aggregate_id, aggregate in self._identity.items():
            result = by_stream.get(self.stream_id(aggregate_id))
            if result is None:
                continue
            self._versions[aggregate_id] = result.stream_version
            pending = getattr(aggregate, "pending_events", ())
            self._appended[aggregate_id].update(id(event) for event in pending)

    async def commit(self) -> None:
        """Append every tracked aggregate's new events, all streams in one commit."""
        appends = self.pending_appends()
        if not appends:
            return
        try:
            results = await self.store.commit(appends)
        except WrongExpectedVersionError as error:
            raise self.conflict(error) from error
        self.acknowledge(results)

    def conflict(self, error: WrongExpectedVersionError) -> ConcurrencyError:
        """Return the error for a lost race: an existing id when the stream was new."""
        if error.expected == 0:
            aggregate_id = error.stream_id.removeprefix(f"{self.stream_prefix}-")
            name = self.aggregate_type.__qualname__
            return AggregateAlreadyExistsError(name, aggregate_id)
        return error

    def _replay(self, aggregate_id: object, events: list[Any]) -> A:
        replay: Any = getattr(self.aggregate_type, "replay")  # noqa: B009 - checked in __init__
        aggregate: A = replay(aggregate_id, events)
        return aggregate


def _id(aggregate: object) -> Any:
    return cast("Any", aggregate).id


def _version(aggregate: object) -> int:
    version: int = cast("Any", aggregate).version
    return version


def _snapshot_version(aggregate_type: type) -> int:
    version: int = getattr(aggregate_type, "snapshot_version", 1)
    return version


class AsyncSQLEventSourcedRepository(AsyncEventSourcedRepository[A, TId]):
    """An event-sourced repository inside a SQL unit of work: appends in its transaction.

    Reads go through the unit of work's connection; `write` appends every pending stream
    in the transaction the unit of work opened, next to its state rows and outbox rows.
    """

    def __init__(
        self,
        aggregate_type: type[A],
        connection: AsyncSQLConnection,
        *,
        codec: JsonCodec | None = None,
        upcasters: Upcasters | None = None,
        stream_prefix: str | None = None,
        snapshot_every: int | None = None,
    ) -> None:
        """Keep `aggregate_type` in the event tables that `connection` reaches.

        With `snapshot_every`, snapshots are kept in the same database (see the base).
        """
        store = AsyncSQLEventStore(async_kept_connection(connection))
        super().__init__(
            aggregate_type,
            store,
            codec=codec,
            upcasters=upcasters,
            stream_prefix=stream_prefix,
            snapshots=None if snapshot_every is None else store,
            snapshot_every=snapshot_every or 100,
        )
        self.connection = connection

    async def write(self) -> list[AppendResult]:
        """Append the pending events in the caller's open transaction; raise on conflict."""
        appends = checked_appends(self.pending_appends())
        try:
            return await async_write_appends(self.connection, appends)
        except WrongExpectedVersionError as error:
            raise self.conflict(error) from error
        except self.connection.unique_violation as error:
            streams = ", ".join(repr(stream_id) for stream_id, _, _ in appends)
            msg = f"another writer appended to {streams} concurrently; reload and retry"
            raise ConcurrencyError(msg) from error
