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
        >>> import asyncio
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
        >>> (main())
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
        self._loaded: dict[Any, Any] = {}
        self._added: set[Any] = set()
        self._deleted: dict[Any, TAggregate] = {}
        # Added and deleted before any commit: nothing to write, but still seen, so that
        # events it recorded are not lost to whoever collects them.
        self._dropped: list[TAggregate] = []

    @property
    def seen(self) -> tuple[TAggregate, ...]:
        """The aggregates handed out, added or deleted since the last commit or rollback.

        Deleted ones are included: their recorded events still need collecting.
        """
        return (*self._identity_map.values(), *self._deleted.values(), *self._dropped)

    def add(self, aggregate: TAggregate) -> None:
        """Track a new aggregate; it is inserted on `commit`."""
        aggregate_id = _id_of(aggregate)
        self._identity_map[aggregate_id] = aggregate
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
        self._loaded[aggregate_id] = structure(aggregate)
        return aggregate

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
            version = _version_of(aggregate)
            if aggregate_id in self._added:
                kind = ChangeKind.INSERT
            elif _has_pending(aggregate) or structure(aggregate) != self._loaded.get(aggregate_id):
                kind = ChangeKind.UPDATE
            else:
                continue
            writes.append(
                Change(kind, self._table, aggregate_id, version, detached_copy(aggregate))
            )
        writes.extend(
            Change(ChangeKind.DELETE, self._table, aggregate_id, _version_of(aggregate))
            for aggregate_id, aggregate in self._deleted.items()
        )
        return writes

    def commit(self) -> None:
        """Store every change atomically; raise `ConcurrencyError` and store nothing on conflict.

        On success each written aggregate's ``version`` goes up by one, and the repository
        starts a fresh session (nothing tracked). On conflict nothing is written and the
        tracked aggregates are left as they were, so the caller can inspect them.
        """
        writes = self.changes()
        self.database.apply(writes)
        written = {change.aggregate_id for change in writes}
        for aggregate_id, aggregate in self._identity_map.items():
            if aggregate_id in written:
                _versioned(aggregate).version += 1
        self._forget()

    def rollback(self) -> None:
        """Forget every uncommitted change and tracked aggregate."""
        self._forget()

    def _forget(self) -> None:
        self._identity_map.clear()
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


def _has_pending(aggregate: object) -> bool:
    return bool(getattr(aggregate, "pending_events", ()))
