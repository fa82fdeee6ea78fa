# Generated from _unit_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory unit of work (sync colour): every repository commits in one atomic step."""

from __future__ import annotations

from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.outbox import OutboxMessage
from tactica.stores.memory._database import InMemoryDatabase
from tactica.stores.memory._repository_sync import InMemoryRepository
from tactica.uow._unit_sync import UnitOfWork

__all__ = ["InMemoryUnitOfWork"]

R = TypeVar("R")


class InMemoryUnitOfWork(UnitOfWork):
    """A unit of work over an `InMemoryDatabase`: all repositories commit in one atomic step.

    Examples:
        >>> from tactica import InMemoryDatabase
        >>> from tactica.dataclasses import AggregateRoot
        >>> from tactica.stores.memory import InMemoryUnitOfWork
        >>> class Counter(AggregateRoot[str]):
        ...     value: int = 0
        >>> class CounterWork(InMemoryUnitOfWork):
        ...     def __init__(self, database: InMemoryDatabase) -> None:
        ...         super().__init__(database)
        ...         self.counters = self.repository(Counter)
        >>> database = InMemoryDatabase()
        >>> def main() -> int:
        ...     with CounterWork(database) as uow:
        ...         uow.counters.add(Counter(id="c-1", value=1))
        ...         uow.commit()
        ...     with CounterWork(database) as uow:
        ...         return (uow.counters.get("c-1")).value
        >>> main()
        1
    """

    def __init__(self, database: InMemoryDatabase, *, codec: JsonCodec | None = None) -> None:
        """Work on `database`; make repositories with `repository`."""
        super().__init__(codec=codec)
        self.database = database

    def repository(
        self, aggregate_type: type[R], *, type_name: str | None = None
    ) -> InMemoryRepository[R, Any]:
        """Return a tracked repository of `aggregate_type` on this unit's database.

        Its aggregates are kept under the class's storage name, or under `type_name`.
        """
        return self.track(
            InMemoryRepository(
                aggregate_type, self.database, type_name=type_name, codec=self.codec
            )
        )

    def _store(self, outbox: list[OutboxMessage]) -> int:
        writes = [(repository, repository.changes()) for repository in self._repositories]
        self.database.apply([change for _, changes in writes for change in changes], outbox)
        for repository, changes in writes:
            repository.acknowledge(changes)
        return 0
