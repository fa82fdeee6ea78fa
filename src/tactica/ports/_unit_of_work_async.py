"""The unit-of-work port (async colour): what a bus, a handler or a saga needs of one."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

__all__ = ["AsyncUnitOfWork"]


@runtime_checkable
class AsyncUnitOfWork(Protocol):
    """One business transaction: opened once, committed at most once, rolled back otherwise.

    Every unit of work of `tactica.stores` satisfies it (they derive from
    `tactica.uow.AsyncUnitOfWork`, which holds the rules). Annotate a handler's parameter
    with it to receive the unit of work of the handler's context; depend on it, not on a
    backend's class, so that the memory backend can stand in for the database in tests.
    """

    async def __aenter__(self) -> Self:
        """Open the unit of work; a second opening is refused."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed (and release what the unit holds)."""
        ...

    async def commit(self) -> int:
        """Store every change in one transaction; return the last event's global position."""
        ...

    async def rollback(self) -> None:
        """Discard every uncommitted change."""
        ...

    def collect_events(self) -> list[Any]:
        """Return (and forget) the events of the committed changes, in recording order."""
        ...
