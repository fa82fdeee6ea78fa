"""Units of work: one business transaction, committed once, its events published after.

`AsyncUnitOfWork`/`UnitOfWork` hold the rules; the in-memory ones store through an
`InMemoryDatabase`, the SQLite ones through one connection and one transaction per commit.
"""

from tactica.uow._sqlite_async import AsyncSQLiteUnitOfWork
from tactica.uow._sqlite_sync import SQLiteUnitOfWork
from tactica.uow._unit_async import AsyncInMemoryUnitOfWork, AsyncUnitOfWork
from tactica.uow._unit_sync import InMemoryUnitOfWork, UnitOfWork

__all__ = [
    "AsyncInMemoryUnitOfWork",
    "AsyncSQLiteUnitOfWork",
    "AsyncUnitOfWork",
    "InMemoryUnitOfWork",
    "SQLiteUnitOfWork",
    "UnitOfWork",
]
