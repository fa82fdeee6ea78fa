"""Units of work: one business transaction, committed once, its events published after.

`AsyncUnitOfWork`/`UnitOfWork` hold the rules; the in-memory ones store through an
`InMemoryDatabase`, the SQLite ones through one connection and one transaction per commit.
`SQLUnitOfWork`/`AsyncSQLUnitOfWork` run on any tactica SQL connection you already hold
(SQLite, PostgreSQL, or a SQLAlchemy session's).
"""

from tactica.uow._sql_async import AsyncSQLUnitOfWork
from tactica.uow._sql_sync import SQLUnitOfWork
from tactica.uow._sqlite_async import AsyncSQLiteUnitOfWork
from tactica.uow._sqlite_sync import SQLiteUnitOfWork
from tactica.uow._unit_async import AsyncInMemoryUnitOfWork, AsyncUnitOfWork
from tactica.uow._unit_sync import InMemoryUnitOfWork, UnitOfWork

__all__ = [
    "AsyncInMemoryUnitOfWork",
    "AsyncSQLUnitOfWork",
    "AsyncSQLiteUnitOfWork",
    "AsyncUnitOfWork",
    "InMemoryUnitOfWork",
    "SQLUnitOfWork",
    "SQLiteUnitOfWork",
    "UnitOfWork",
]
