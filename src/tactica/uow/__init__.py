"""Units of work: one business transaction, committed once, its events published after.

`AsyncUnitOfWork`/`UnitOfWork` hold the rules; the in-memory ones store through an
`InMemoryDatabase`. Database-backed units of work come with their stores.
"""

from tactica.uow._unit_async import AsyncInMemoryUnitOfWork, AsyncUnitOfWork
from tactica.uow._unit_sync import InMemoryUnitOfWork, UnitOfWork

__all__ = ["AsyncInMemoryUnitOfWork", "AsyncUnitOfWork", "InMemoryUnitOfWork", "UnitOfWork"]
