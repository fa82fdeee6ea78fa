# Generated from _repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory repository (sync colour): the blessed fake for tests and prototypes."""

from __future__ import annotations

from typing import Any, TypeVar

from tactica.stores._tracked_sync import TrackedRepository
from tactica.stores.memory._database import Change, InMemoryDatabase
from tactica.stores.memory._state import detached_copy, structure
from tactica.uow._session import SessionTracker, WriteKind

__all__ = ["InMemoryRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class InMemoryRepository(TrackedRepository[TAggregate, TId]):
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
        self.tracker: SessionTracker[TAggregate] = SessionTracker(structure)

    def changes(self) -> list[Change]:
        """Return the writes a commit would make, without making them."""
        return [
            Change(
                write.kind,
                self._table,
                write.aggregate_id,
                write.expected_version,
                None if write.kind is WriteKind.DELETE else detached_copy(write.aggregate),
            )
            for write in self.tracker.pending_writes()
        ]

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
        self.tracker.acknowledge(
            (change.aggregate_id, change.expected_version) for change in writes
        )

    def _load(self, aggregate_id: Any) -> tuple[TAggregate, int] | None:
        stored = self.database.load(self._table, aggregate_id)
        if stored is None:
            return None
        aggregate: TAggregate = detached_copy(stored.state)
        return aggregate, stored.version
