"""Units of work and event-sourced repositories on any tactica SQL connection you hold.

These run the SQL that SQLite, PostgreSQL and SQLAlchemy share, on a connection of any of
them: `SQLUnitOfWork` commits every tracked repository in one transaction, and
`SQLEventSourcedRepository` (what ``uow.event_sourced`` returns) appends in it. The
backends' own units of work (`tactica.stores.sqlite.SQLiteUnitOfWork` and the others)
derive from `SQLUnitOfWork` and open the connection for you.
"""

from tactica.stores._sql._es_repository_async import AsyncSQLEventSourcedRepository
from tactica.stores._sql._es_repository_sync import SQLEventSourcedRepository
from tactica.stores._sql._unit_async import AsyncSQLUnitOfWork
from tactica.stores._sql._unit_sync import SQLUnitOfWork

__all__ = [
    "AsyncSQLEventSourcedRepository",
    "AsyncSQLUnitOfWork",
    "SQLEventSourcedRepository",
    "SQLUnitOfWork",
]
