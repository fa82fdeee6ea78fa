"""The event-sourced repository (async colour): aggregates loaded from and saved as events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Generic, TypeVar, cast

from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.domain.naming import storage_aliases, storage_name
from tactica.errors import (
    AggregateAlreadyExistsError,
    AggregateNotFoundError,
    ConcurrencyError,
    ConfigurationError,
    SerializationError,
    WrongExpectedVersionError,
)
from tactica.eventsourcing._checks import (
    DEFAULT_SNAPSHOT_EVERY,
    MAX_VERSION,
    check_codec,
    check_count,
    check_has,
    check_prefix,
    check_upcasters,
)
from tactica.ports._event_store_async import AsyncEventStore
from tactica.ports._events import (
    AppendResult,
    Snapshot,
    StreamAppend,
)
from tactica.ports._snapshots_async import AsyncSnapshotStore
from tactica.ports._streams import decode_events, default_codec, readable_new_events

__all__ = ["AsyncEventSourcedRepository"]

_logger = logging.getLogger("tactica.eventsourcing")


A = TypeVar("A")
TId = TypeVar("TId")


class AsyncEventSourcedRepository(Generic[A, TId]):
    """Loads event-sourced aggregates by replaying their stream, and appends what they record.

    Each aggregate is a stream named ``"<prefix>-<id>"``, the prefix being the class's
    storage name (``name=`` in its class statement, else its qualified name) unless
    `stream_prefix` is given; a stream under one of the class's ``aliases`` is read when its
    own has no events, and appended to from then on. `get` reads the stream, decodes
    every event (upcast to its current version) and replays it; the repository remembers
    the version it read, and a commit appends the pending events at exactly that version,
    so a concurrent change is a `WrongExpectedVersionError` (a `ConcurrencyError`) and
    nothing is stored. Tracking survives a commit: events appended once are never
    appended again, and the aggregate can go on changing.

    Events are decoded by registered name; the aggregate's event union (its second type
    argument) is registered by default, or pass a `codec` with your `TypeRegistry`. A
    commit refuses, with `UnreadableEventError` and before anything is written, an event
    the codec could not read back (a type outside the union, or not registered).

    A snapshot is trusted only if the stream still has an event at the snapshot's version
    and the snapshot is of this class and its ``snapshot_version``; any other is ignored,
    logged as a warning, and replaced by one rebuilt from the events.
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
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
    ) -> None:
        """Keep `aggregate_type` in `store`, its streams named ``"<stream_prefix>-<id>"``.

        With `snapshots` (the event store itself, or an `AsyncSnapshotCache`), a load
        starts from the latest snapshot of the aggregate's current ``snapshot_version``
        and folds the events stored since; when it had to fold `snapshot_every` events or
        more, it saves a new snapshot.
        """
        owner = type(self).__name__
        if not isinstance(cast("object", aggregate_type), type) or not hasattr(
            aggregate_type, "replay"
        ):
            shown = getattr(aggregate_type, "__qualname__", repr(aggregate_type))
            msg = (
                f"{shown} is not event-sourced: derive it from "
                "EventSourcedAggregate, or store it with a state repository"
            )
            raise ConfigurationError(msg)
        check_has(owner, "an event store as store", store, "read", "append", "commit")
        if snapshots is not None:
            check_has(owner, "snapshots", snapshots, "load_snapshot", "save_snapshot")
        self.aggregate_type = aggregate_type
        self.store = store
        self.codec = check_codec(owner, codec) or default_codec(aggregate_type)
        self.upcasters = check_upcasters(owner, upcasters)
        prefix = check_prefix(owner, stream_prefix)
        self.stream_prefix = prefix or storage_name(aggregate_type)
        # An explicit prefix is deliberate: streams under the class's other names are not its.
        self._alias_prefixes = () if prefix else storage_aliases(aggregate_type)
        self._streams: dict[Any, str] = {}
        self.snapshots = snapshots
        self.snapshot_every = check_count("snapshot_every", snapshot_every, 1)
        self._identity: dict[Any, A] = {}
        self._versions: dict[Any, int] = {}
        self._appended: dict[Any, set[object]] = {}

    def stream_id(self, aggregate_id: object) -> str:
        """Return the stream of the aggregate with this id (a new one's, if it was aliased)."""
        return f"{self.stream_prefix}-{aggregate_id}"

    def _stream_of(self, aggregate_id: object) -> str:
        """Return the stream the tracked aggregate was loaded from (under an alias, maybe)."""
        return self._streams.get(aggregate_id) or self.stream_id(aggregate_id)

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
        self._streams.pop(aggregate_id, None)
        loaded = await self._load_stream(aggregate_id, self.stream_prefix)
        for prefix in self._alias_prefixes:
            if loaded is not None:
                break
            loaded = await self._load_stream(aggregate_id, prefix)
            if loaded is not None:
                self._streams[aggregate_id] = f"{prefix}-{aggregate_id}"
        return loaded

    async def _load_stream(self, aggregate_id: object, prefix: str) -> tuple[A, int] | None:
        stream_id = f"{prefix}-{aggregate_id}"
        start, ignored = await self._from_snapshot(stream_id, prefix)
        if start is not None:
            at = _version(start)
            # Read from the snapshot's own version: its event proves the snapshot is not
            # beyond the stream's head, at the cost of one row rather than a round trip.
            stored = await self.store.read(stream_id, from_version=at)
            if stored and stored[0].stream_version == at:
                tail = stored[1:]
                aggregate = cast("Any", start).fold(decode_events(self.codec, self.upcasters, tail))
                version = stored[-1].stream_version
                if self.snapshots is not None and len(tail) >= self.snapshot_every:
                    await self.snapshots.save_snapshot(
                        self._snapshot(stream_id, aggregate, version)
                    )
                return aggregate, version
        stored = await self.store.read(stream_id)
        if start is not None:
            _logger.warning(
                "ignored the snapshot of stream %r at version %d: the stream is at version %d; "
                "the aggregate was rebuilt from its events",
                stream_id,
                _version(start),
                stored[-1].stream_version if stored else 0,
            )
            ignored = True
        if ignored:
            await self._forget_snapshot(stream_id)
        if not stored:
            return None
        aggregate = self._replay(aggregate_id, decode_events(self.codec, self.upcasters, stored))
        version = stored[-1].stream_version
        if self.snapshots is not None and (ignored or len(stored) >= self.snapshot_every):
            # An ignored snapshot is replaced, so that it is not read (and warned of) again.
            await self.snapshots.save_snapshot(self._snapshot(stream_id, aggregate, version))
        return aggregate, version

    async def _from_snapshot(self, stream_id: str, prefix: str) -> tuple[A | None, bool]:
        """Return the snapshot's aggregate, if usable, and whether one was ignored."""
        if self.snapshots is None:
            return None, False
        snapshot = await self.snapshots.load_snapshot(stream_id)
        if snapshot is None:
            return None, False
        aggregate, problem = self._restored(snapshot, stream_id, prefix)
        if aggregate is None:
            _logger.warning(
                "ignored the snapshot of stream %r: %s; the aggregate was rebuilt from its events",
                stream_id,
                problem,
            )
            return None, True
        return aggregate, False

    def _restored(self, snapshot: Snapshot, stream_id: str, prefix: str) -> tuple[A | None, str]:
        """Return the aggregate a snapshot holds, or ``None`` and why it cannot be used."""
        expected = (self._snapshot_name, _snapshot_version(self.aggregate_type))
        if snapshot.type_name not in self._snapshot_names or snapshot.schema_version != expected[1]:
            return None, (
                f"it is of {snapshot.type_name!r:.200} at snapshot version "
                f"{snapshot.schema_version!r:.40}, not of {expected[0]} at version {expected[1]}"
            )
        version: object = snapshot.version
        if snapshot.stream_id != stream_id or type(version) is not int:
            return None, f"it names stream {snapshot.stream_id!r:.200} at version {version!r:.40}"
        if not 1 <= version <= MAX_VERSION:
            return None, f"its version {version} is outside 1..{MAX_VERSION}"
        try:
            aggregate = self.codec.decode(snapshot.state, self.aggregate_type)
        except SerializationError as error:
            return None, f"its state does not decode ({type(error).__name__})"
        if _version(aggregate) != version or f"{prefix}-{_id(aggregate)}" != stream_id:
            return None, (
                f"its state is of {f'{prefix}-{_id(aggregate)}'!r:.200} at version "
                f"{_version(aggregate)!r:.40}, not at version {version}"
            )
        return aggregate, ""

    async def _forget_snapshot(self, stream_id: str) -> None:
        # A cache keeps a newer snapshot over an older one; an ignored one must go first.
        discard = getattr(self.snapshots, "discard_snapshot", None)
        if discard is not None:
            await discard(stream_id)

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
        return storage_name(self.aggregate_type)

    @property
    def _snapshot_names(self) -> tuple[str, ...]:
        # A snapshot under an alias, or under the "module:QualName" tactica 0.1.0.dev0 wrote,
        # holds this class's state: reading it saves a rebuild.
        cls = self.aggregate_type
        legacy = f"{cls.__module__}:{cls.__qualname__}"
        return (self._snapshot_name, *storage_aliases(cls), legacy)

    async def get_at(self, aggregate_id: TId, version: int) -> A:
        """Return the aggregate as it was at `version` (read-only: not tracked, not saved)."""
        stored = await self.store.read(self._stream_of(aggregate_id), to_version=version)
        for prefix in self._alias_prefixes:
            if stored:
                break
            stored = await self.store.read(f"{prefix}-{aggregate_id}", to_version=version)
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
        self._streams.clear()

    def pending_appends(self) -> list[StreamAppend]:
        """Return one append per aggregate with events not yet stored, at the version read.

        Raises `UnreadableEventError` for an event the codec could not read back, and the
        codec's `MessageEncodeError` for one it cannot encode, before anything is written.
        """
        appends: list[StreamAppend] = []
        for aggregate_id, aggregate in self._identity.items():
            done = self._appended[aggregate_id]
            fresh = [e for e in getattr(aggregate, "pending_events", ()) if _key(e) not in done]
            if fresh:
                owner = f"the aggregate {self.aggregate_type.__qualname__} {aggregate_id!r:.80}"
                events = readable_new_events(self.codec, fresh, owner)
                expected = self._versions[aggregate_id]
                appends.append(StreamAppend(self._stream_of(aggregate_id), events, expected))
        return appends

    def acknowledge(self, results: Sequence[AppendResult]) -> None:
        """Take note that the pending appends were stored with these results."""
        by_stream = {result.stream_id: result for result in results}
        for aggregate_id, aggregate in self._identity.items():
            result = by_stream.get(self._stream_of(aggregate_id))
            if result is None:
                continue
            self._versions[aggregate_id] = result.stream_version
            pending = getattr(aggregate, "pending_events", ())
            self._appended[aggregate_id].update(_key(event) for event in pending)

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


def _key(event: object) -> object:
    # By event id, not id(): the id of a pulled (freed) event is reused by the next one.
    return getattr(event, "event_id", None) or id(event)


def _id(aggregate: object) -> Any:
    return cast("Any", aggregate).id


def _version(aggregate: object) -> int:
    version: int = cast("Any", aggregate).version
    return version


def _snapshot_version(aggregate_type: type) -> int:
    version: int = getattr(aggregate_type, "snapshot_version", 1)
    return version
