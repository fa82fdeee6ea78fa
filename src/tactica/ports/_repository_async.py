"""The repository port (async colour): a collection-like home for aggregates."""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["AsyncRepository"]

TAggregate = TypeVar("TAggregate")
TId_contra = TypeVar("TId_contra", contravariant=True)


class AsyncRepository(Protocol[TAggregate, TId_contra]):
    """Gives access to the aggregates of one type as if they were an in-memory collection.

    Implementations track every aggregate they hand out or receive, so that the unit of
    work can store their changes (with an optimistic version check) and collect their
    events. Define your own repositories against this protocol; tactica ships in-memory,
    SQL and event-sourced implementations.
    """

    async def add(self, aggregate: TAggregate) -> None:
        """Track a new aggregate, to be inserted when the work is committed."""
        ...

    async def get(self, aggregate_id: TId_contra) -> TAggregate:
        """Return the aggregate with this id; raise `AggregateNotFoundError` if there is none."""
        ...

    async def find(self, aggregate_id: TId_contra) -> TAggregate | None:
        """Return the aggregate with this id, or ``None`` if there is none."""
        ...

    async def delete(self, aggregate: TAggregate) -> None:
        """Mark a loaded aggregate for deletion when the work is committed."""
        ...
