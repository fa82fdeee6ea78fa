# Generated from _repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory repository (sync colour): the blessed fake for tests and prototypes."""

from __future__ import annotations

from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.errors import UnregisteredAggregateTypeError
from tactica.stores._tracked_sync import TrackedRepository
from tactica.stores.memory._database import Change, InMemoryDatabase
from tactica.stores.memory._state import detached_copy, structure
from tactica.uow._session import SessionTracker, StorageNames, WriteKind

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
        self,
        aggregate_type: type[TAggregate],
        database: InMemoryDatabase | None = None,
        *,
        type_name: str | None = None,
        codec: JsonCodec | None = None,
    ) -> None:
        """Create a repository of `aggregate_type` over `database` (a private one if omitted).

        Aggregates are kept under the class's storage name (``name=`` in its class
        statement, else its qualified name), or under `type_name` when given. `codec`
        converts an aggregate stored by a class of another name into this one.
        """
        self.aggregate_type = aggregate_type
        self.database = database if database is not None else InMemoryDatabase()
        self.names = StorageNames.of(aggregate_type, type_name)
        self.type_name = self.names.name
        self.codec = codec or JsonCodec()
        self.tracker: SessionTracker[TAggregate] = SessionTracker(structure)
        self._sources: dict[Any, str] = {}

    def changes(self) -> list[Change]:
        """Return the writes a commit would make, without making them."""
        return [
            Change(
                write.kind,
                self.type_name,
                write.aggregate_id,
                write.expected_version,
                None if write.kind is WriteKind.DELETE else detached_copy(write.aggregate),
                source=None
                if write.kind is WriteKind.INSERT
                else self._sources.get(write.aggregate_id),
                aliases=self.names.aliases,
                label=self.aggregate_type.__qualname__,
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
        for change in writes:
            self._sources.pop(change.aggregate_id, None)

    def _load(self, aggregate_id: Any) -> tuple[TAggregate, int] | None:
        self._sources.pop(aggregate_id, None)
        found = self.database.load_any(self.names.read, aggregate_id)
        if found is None:
            return None
        table, stored = found
        if table in self.names.former:
            raise UnregisteredAggregateTypeError(table, self.type_name, aggregate_id)
        if table != self.type_name:
            self._sources[aggregate_id] = table
        state = stored.state
        if not isinstance(state, self.aggregate_type):
            # Stored by the class under its old name: read it as the new class, through the
            # same encoding a database row goes through.
            state = self.codec.decode(self.codec.encode(state), self.aggregate_type)
        aggregate: TAggregate = detached_copy(state)
        return aggregate, stored.version
