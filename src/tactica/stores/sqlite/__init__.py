"""SQLite backends (standard library, no extra): repositories and units of work.

Files use WAL and every write transaction is ``BEGIN IMMEDIATE`` with a busy timeout, so
concurrent writers queue rather than fail with "database is locked".
"""

from tactica.stores._sql._schema_async import async_create_schema
from tactica.stores._sql._schema_sync import create_schema
from tactica.stores.sqlite._connection import AsyncSQLiteConnection, SQLiteConnection
from tactica.stores.sqlite._database_async import AsyncSQLiteDatabase
from tactica.stores.sqlite._database_sync import SQLiteDatabase
from tactica.stores.sqlite._event_store_async import AsyncSQLiteEventStore
from tactica.stores.sqlite._event_store_sync import SQLiteEventStore
from tactica.stores.sqlite._repository import AsyncSQLiteRepository, SQLiteRepository
from tactica.stores.sqlite._unit_async import AsyncSQLiteUnitOfWork
from tactica.stores.sqlite._unit_sync import SQLiteUnitOfWork

__all__ = [
    "AsyncSQLiteConnection",
    "AsyncSQLiteDatabase",
    "AsyncSQLiteEventStore",
    "AsyncSQLiteRepository",
    "AsyncSQLiteUnitOfWork",
    "SQLiteConnection",
    "SQLiteDatabase",
    "SQLiteEventStore",
    "SQLiteRepository",
    "SQLiteUnitOfWork",
    "async_create_schema",
    "create_schema",
]
