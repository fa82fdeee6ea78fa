"""The unit of work (async colour): one business transaction over one or more repositories.

Open it with ``async with``; nothing is stored unless `commit` is called, and leaving the
block without committing (or with an exception) rolls back. A unit of work is used once:
entering it while open, or committing twice, is an error. After a successful commit, the
events recorded by every aggregate its repositories touched are available from
`collect_events`, in recording order, for the bus to publish; those of integration event
classes were written to the outbox in the same transaction.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

from tactica.codec import JsonCodec
from tactica.errors import UnitOfWorkError
from tactica.outbox import OutboxMessage, outbox_messages
from tactica.ports._outbox_checks import checked_outbox
from tactica.stores.memory._database import InMemoryDatabase
from tactica.stores.memory._repository_async import AsyncInMemoryRepository

__all__ = ["AsyncInMemoryUnitOfWork", "AsyncUnitOfWork"]

R = TypeVar("R")


class AsyncUnitOfWork:
    """The base of units of work: the open/commit/rollback rules, and event collection.

    Subclasses store the changes in `_store`; a rollback makes every tracked repository
    forget its changes. Repositories are attributes made with `track`, so the unit of work
    knows whose events to collect.
    """

    def __init__(self, *, codec: JsonCodec | None = None) -> None:
        """Start closed, with no repositories; `codec` encodes outbox payloads."""
        self.codec = codec or JsonCodec()
        self._repositories: list[Any] = []
        self._state = "new"
        self._events: list[Any] = []
        self.position = 0
        """The global position the commit's last event got (0 before, or with no events)."""

    def track(self, repository: R) -> R:
        """Register a repository whose aggregates' events this unit of work collects."""
        self._repositories.append(repository)
        return repository

    async def __aenter__(self) -> Self:
        """Open the unit of work; it may be opened once."""
        if self._state != "new":
            msg = (
                f"this {type(self).__name__} was already opened ({self._state}); a unit of work "
                "serves one transaction, so create a new one for the next"
            )
            raise UnitOfWorkError(msg)
        self._state = "open"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        if self._state == "open":
            await self.rollback()

    async def commit(self) -> int:
        """Store every change of every tracked repository in one transaction, once.

        Return the global position the commit's last event got (0 if it appended none):
        pass it to `tactica.projections.wait_for` to read your own writes.
        """
        if self._state != "open":
            outcome = {
                "committed": "the first commit succeeded",
                "failed": "the first commit failed and stored nothing",
                "rolled back": "it was rolled back",
                "new": "it was never opened (use `async with`)",
            }[self._state]
            msg = f"cannot commit this {type(self).__name__}: {outcome}"
            raise UnitOfWorkError(msg)
        pending = self._pending_events()
        outbox = list(checked_outbox(outbox_messages(pending, self.codec)))
        try:
            self.position = await self._store(outbox)
        except BaseException:
            self._state = "failed"
            raise
        self._state = "committed"
        for repository in self._repositories:
            for aggregate in repository.seen:
                pull = getattr(aggregate, "pull_events", None)
                if pull is not None:
                    pull()
        self._events.extend(pending)
        return self.position

    def _pending_events(self) -> list[Any]:
        return [
            event
            for repository in self._repositories
            for aggregate in repository.seen
            for event in getattr(aggregate, "pending_events", ())
        ]

    async def rollback(self) -> None:
        """Discard every uncommitted change; tracked aggregates keep their pending events."""
        if self._state == "open":
            self._state = "rolled back"
        for repository in self._repositories:
            await repository.rollback()

    def collect_events(self) -> list[Any]:
        """Return (and forget) the events of the committed changes, in recording order."""
        events, self._events = self._events, []
        return events

    async def _store(self, outbox: list[OutboxMessage]) -> int:
        raise NotImplementedError


class AsyncInMemoryUnitOfWork(AsyncUnitOfWork):
    """A unit of work over an `InMemoryDatabase`: all repositories commit in one atomic step.

    Examples:
        >>> import asyncio
        >>> from tactica import InMemoryDatabase
        >>> from tactica.dataclasses import AggregateRoot
        >>> from tactica.uow import AsyncInMemoryUnitOfWork
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

    def repository(self, aggregate_type: type[R]) -> AsyncInMemoryRepository[R, Any]:
        """Return a tracked repository of `aggregate_type` on this unit's database."""
        return self.track(AsyncInMemoryRepository(aggregate_type, self.database))

    async def _store(self, outbox: list[OutboxMessage]) -> int:
        writes = [(repository, repository.changes()) for repository in self._repositories]
        self.database.apply([change for _, changes in writes for change in changes], outbox)
        for repository, changes in writes:
            repository.acknowledge(changes)
        return 0
