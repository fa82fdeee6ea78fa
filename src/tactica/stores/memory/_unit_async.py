"""The in-memory unit of work (async colour): every repository commits in one atomic step."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tactica._acompat import async_accepts_coroutines
from tactica.codec import JsonCodec
from tactica.outbox import OutboxMessage
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._inline_async import async_checked_inline
from tactica.stores.memory._database import InMemoryDatabase
from tactica.stores.memory._projections_async import AsyncInMemoryProjectionTransaction
from tactica.stores.memory._read_models import InlineWrites
from tactica.stores.memory._repository_async import AsyncInMemoryRepository
from tactica.uow._unit_async import AsyncUnitOfWork

__all__ = ["AsyncInMemoryUnitOfWork"]

R = TypeVar("R")


class AsyncInMemoryUnitOfWork(AsyncUnitOfWork):
    """A unit of work over an `InMemoryDatabase`: all repositories commit in one atomic step.

    `inline` projections are updated in the commit, from the events of the touched
    aggregates, exactly as in the SQL units of work: their documents (in ``database.log``,
    read by ``AsyncInMemoryEventStore(database.log)``) are stored with the aggregates and
    the outbox messages or, when a handler raises, nothing is. Commits feeding one inline
    projection take turns: if another changed its documents while the handlers ran, they
    run again on what is stored now, so no update of a shared document is lost.

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

    def __init__(
        self,
        database: InMemoryDatabase,
        *,
        codec: JsonCodec | None = None,
        inline: Sequence[ProjectionLike] = (),
    ) -> None:
        """Work on `database`; make repositories with `repository`."""
        self._inline = async_checked_inline(inline)
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
        changes = [change for _, changes in writes for change in changes]
        events = self._pending_events()
        while True:
            staged, callbacks = await self._project_inline(events)
            if self.database.apply(changes, outbox, staged):
                break
        for repository, changes in writes:
            repository.acknowledge(changes)
        for callback in callbacks:
            callback()
        return 0

    async def _project_inline(
        self, events: Sequence[object]
    ) -> tuple[list[InlineWrites], list[Callable[[], object]]]:
        staged: list[InlineWrites] = []
        callbacks: list[Callable[[], object]] = []
        log = self.database.log
        for name, handlers in self._inline:
            if not any(type(event) in handlers for event in events):
                continue
            generation, turn = log.inline_turn(name)
            tx = AsyncInMemoryProjectionTransaction(log, name, generation, replaying=False)
            for event in events:
                handler = handlers.get(type(event))
                if handler is not None:
                    result = handler(event, tx)
                    if async_accepts_coroutines and inspect.isawaitable(result):
                        result = await result
            staged.append((name, generation, turn, tx.staged))
            callbacks.extend(tx.callbacks)
        return staged, callbacks
