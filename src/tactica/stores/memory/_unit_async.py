"""The in-memory unit of work (async colour): every repository commits in one atomic step."""

from __future__ import annotations

from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.outbox import OutboxMessage
from tactica.stores.memory._database import InMemoryDatabase
from tactica.stores.memory._repository_async import AsyncInMemoryRepository
from tactica.uow._unit_async import AsyncUnitOfWork

__all__ = ["AsyncInMemoryUnitOfWork"]

R = TypeVar("R")


class AsyncInMemoryUnitOfWork(AsyncUnitOfWork):
    """A unit of work over an `InMemoryDatabase`: all repositories commit in one atomic step.

    Examples:
        >>> import asyncio
        >>> from tactica import InMemoryDatabase
        >>> from tactica.dataclasses import AggregateRoot
        >>> from tactica.stores.memory import AsyncInMemoryUnitOfWork
        >>> class Counter(AggregateRoot[str]):
        ...     value: int = 0
        >>> class CounterWork(AsyncInMemoryUnitOfWork):
        ...     def __init__(self, database: InMemoryDatabase) -> None:
        ...         super().__init__(database)
        ...         self.counters = self.repository(Counter)
        >>> database = InMemoryDatabase()
        >>> async def main() -> int:
        ...     async with CounterWork(database) as uow:
        ...         await uow.counters.add(Counter(id="c-1", value=1))
        ...         await uow.commit()
        ...     async with CounterWork(database) as uow:
        ...         return (await uow.counters.get("c-1")).value
        >>> asyncio.run(main())
        1
    """

    def __init__(self, database: InMemoryDatabase, *, codec: JsonCodec | None = None) -> None:
        """Work on `database`; make repositories with `repository`."""
        super().__init__(codec=codec)
        self.database = database

    def repository(
        self, aggregate_type: type[R], *, type_name: str | None = None
    ) -> AsyncInMemoryRepository[R, Any]:
        """Return a tracked repository of `aggregate_type` on this unit's database.

        Its aggregates are kept under the class's storage name, or under `type_name`.
        """
        return self.track(
            AsyncInMemoryRepository(
                aggregate_type, self.database, type_name=type_name, codec=self.codec
            )
        )

    async def _store(self, outbox: list[OutboxMessage]) -> int:
        writes = [(repository, repository.changes()) for repository in self._repositories]
        self.database.apply([change for _, changes in writes for change in changes], outbox)
        for repository, changes in writes:
            repository.acknowledge(changes)
        return 0
