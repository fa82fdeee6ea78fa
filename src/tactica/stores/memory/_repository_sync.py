# Generated from _repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory repository (sync colour): the blessed fake for tests and prototypes."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar, cast

from tactica.errors import AggregateNotFoundError
from tactica.stores.memory._database import Change, ChangeKind, InMemoryDatabase
from tactica.stores.memory._state import detached_copy, structure

__all__ = ["InMemoryRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class InMemoryRepository(Generic[TAggregate, TId]):
    """A repository that keeps aggregates in an `InMemoryDatabase`, for tests and prototypes.

    It behaves like a database-backed repository in every way a domain can observe: it
    hands out detached copies (never the stored object), returns the same instance for the
    same id within one repository (an identity map), stores only aggregates that changed,
    and refuses stale writes with `ConcurrencyError` by comparing versions. Each instance is
    one session of work: `commit` writes its changes atomically, `rollback` forgets them.
    Several repositories over one database behave like concurrent database sessions.

    Aggregates need an ``id`` and a ``version`` attribute (every ``AggregateRoot`` has them).

    Examples:
        >>> from tactica import InMemoryRepository, InMemoryDatabase
        >>> from tactica.dataclasses import AggregateRoot
        >>> class Counter(AggregateRoot[str]):
        ...     value: int = 0
        >>> database = InMemoryDatabase()
        >>> def main() -> int:
        ...     repo = InMemoryRepository[Counter, str](Counter, database)
        ...     repo.add(Counter(id="c-1"))
        ...     repo.commit()
        ...     again = InMemoryRepository[Counter, str](Counter, database)
        ...     return (again.get("c-1")).version
        >>> main()
        1
    """

    def __init__(
        self, aggregate_type: type[TAggregate], database: InMemoryDatabase | None = None
    ) -> None:
        """Create a repository of `aggregate_type` over `database` (a private one if omitted)."""
        self.aggregate_type = aggregate_type
        self.database = database if database is not None else InMemoryDatabase()
        self._table = f"{aggregate_type.__module__}:{aggregate_type.__qualname__}"
        self._identity_map: dict[Any, TAggregate] = {}
        # Per tracked id: the stored version it was read at (the expected version of its next
        # write, never the aggregate's own mutable `version`), its structural snapshot, and
        # which events it had pending then.
        self._versions: dict[Any, int] = {}
        self._loaded: dict[Any, Any] = {}
        self._pending_seen: dict[Any, frozenset[int]] = {}
        self._added: set[Any] = set()
        self._deleted: dict[Any, TAggregate] = {}
        # Added and deleted before any commit: nothing to write, but still seen, so that
        # events it recorded are not lost to whoever collects them.
        self._dropped: list[TAggregate] = []

    @property
    def seen(self) -> tuple[TAggregate, ...]:
        """The aggregates this repository tracks, for collecting their recorded events.

        Handed out, added, or deleted and not yet committed (their events still count).
        Tracking survives `commit` and ends with `rollback`.
        """
        return (*self._identity_map.values(), *self._deleted.values(), *self._dropped)

    def add(self, aggregate: TAggregate) -> None:
        """Track a new aggregate; it is inserted on `commit`."""
        aggregate_id = _id_of(aggregate)
        self._identity_map[aggregate_id] = aggregate
        self._versions[aggregate_id] = _version_of(aggregate)
        self._added.add(aggregate_id)
        self._deleted.pop(aggregate_id, None)

    def get(self, aggregate_id: TId) -> TAggregate:
        """Return the aggregate with this id; raise `AggregateNotFoundError` if there is none."""
        found = self.find(aggregate_id)
        if found is None:
            raise AggregateNotFoundError(self.aggregate_type.__qualname__, aggregate_id)
        return found

    def find(self, aggregate_id: TId) -> TAggregate | None:
        """Return the aggregate with this id, or ``None`` if there is none."""
        if aggregate_id in self._deleted:
            return None
        tracked = self._identity_map.get(aggregate_id)
        if tracked is not None:
            return tracked
        stored = self.database.load(self._table, aggregate_id)
        if stored is None:
            return None
        aggregate: TAggregate = detached_copy(stored.state)
        _versioned(aggregate).version = stored.version
        self._identity_map[aggregate_id] = aggregate
        self._synced(aggregate_id, aggregate, stored.version)
        return aggregate

    def _synced(self, aggregate_id: Any, aggregate: TAggregate, version: int) -> None:
        self._versions[aggregate_id] = version
        self._loaded[aggregate_id] = structure(aggregate)
        self._pending_seen[aggregate_id] = _pending_keys(aggregate)

    def _changed(self, aggregate_id: Any, aggregate: TAggregate) -> bool:
        known = self._pending_seen.get(aggregate_id, frozenset())
        # Recording an event is a change even when no field moved; pulling events is not one.
        if any(id(event) not in known for event in _pending(aggregate)):
            return True
        return bool(structure(aggregate) != self._loaded.get(aggregate_id))

    def _deleted_versions(self) -> list[tuple[Any, int]]:
        return [
            (aggregate_id, self._versions.get(aggregate_id, _version_of(aggregate)))
            for aggregate_id, aggregate in self._deleted.items()
        ]

    def _forget_id(self, aggregate_id: Any) -> None:
        self._versions.pop(aggregate_id, None)
        self._loaded.pop(aggregate_id, None)
        self._pending_seen.pop(aggregate_id, None)

    def delete(self, aggregate: TAggregate) -> None:
        """Mark the aggregate for deletion on `commit` (version-checked like an update)."""
        aggregate_id = _id_of(aggregate)
        self._identity_map.pop(aggregate_id, None)
        if aggregate_id in self._added:
            self._added.discard(aggregate_id)
            self._dropped.append(aggregate)
            return
        self._deleted[aggregate_id] = aggregate

    def changes(self) -> list[Change]:
        """Return the writes a commit would make, without making them."""
        writes: list[Change] = []
        for aggregate_id, aggregate in self._identity_map.items():
            version = self._versions[aggregate_id]
            if aggregate_id in self._added:
                kind = ChangeKind.INSERT
            elif self._changed(aggregate_id, aggregate):
                kind = ChangeKind.UPDATE
            else:
                continue
            writes.append(
                Change(kind, self._table, aggregate_id, version, detached_copy(aggregate))
            )
        writes.extend(
            Change(ChangeKind.DELETE, self._table, aggregate_id, version)
            for aggregate_id, version in self._deleted_versions()
        )
        return writes

    def commit(self) -> None:
        """Store every change atomically; raise `ConcurrencyError` and store nothing on conflict.

        On success each written aggregate's ``version`` becomes the stored one, and the
        aggregates stay tracked: a later change to them is written by the next commit. On
        conflict nothing is written and the tracked aggregates are left as they were, so the
        caller can inspect them (then `rollback` and load again).
        """
        writes = self.changes()
        self.database.apply(writes)
        self.acknowledge(writes)

    def acknowledge(self, writes: list[Change]) -> None:
        """Record that `writes` (from `changes`) were stored, as `commit` does after storing.

        For a unit of work that stores the changes of several repositories in one step.
        """
        written = {change.aggregate_id: change.expected_version + 1 for change in writes}
        for aggregate_id, aggregate in self._identity_map.items():
            version = written.get(aggregate_id, self._versions[aggregate_id])
            _versioned(aggregate).version = version
            self._synced(aggregate_id, aggregate, version)
        for aggregate_id in self._deleted:
            self._forget_id(aggregate_id)
        self._added.clear()
        self._deleted.clear()
        self._dropped.clear()

    def rollback(self) -> None:
        """Forget every uncommitted change and stop tracking; load again to go on."""
        self._identity_map.clear()
        self._versions.clear()
        self._pending_seen.clear()
        self._loaded.clear()
        self._added.clear()
        self._deleted.clear()
        self._dropped.clear()


class _Versioned(Protocol):
    id: Any
    version: int


def _versioned(aggregate: object) -> _Versioned:
    return cast("_Versioned", aggregate)


def _id_of(aggregate: object) -> Any:
    return _versioned(aggregate).id


def _version_of(aggregate: object) -> int:
    return _versioned(aggregate).version


def _pending(aggregate: object) -> tuple[object, ...]:
    pending: tuple[object, ...] = getattr(aggregate, "pending_events", ())
    return pending


def _pending_keys(aggregate: object) -> frozenset[int]:
    return frozenset(map(id, _pending(aggregate)))
