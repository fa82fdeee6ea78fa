"""SQLAlchemy 2 backends (extra ``sqlalchemy``): repositories and units of work.

Aggregates you map with the ORM (imperatively or declaratively, with a version column),
tactica's own JSON-row repositories and the transactional outbox all write through one
session, so they commit or roll back together. Sync and async sessions both work; async
SQLite needs ``aiosqlite``, async PostgreSQL psycopg 3 (``postgresql+psycopg://``).
"""

from tactica._extras import require_extra as _require_extra

_require_extra("sqlalchemy", feature="tactica.stores.sqlalchemy", extra="sqlalchemy")

from tactica.stores._sql._schema_async import async_create_schema
from tactica.stores._sql._schema_sync import create_schema
from tactica.stores.sqlalchemy._connection_async import AsyncSQLAlchemyConnection
from tactica.stores.sqlalchemy._connection_sync import SQLAlchemyConnection
from tactica.stores.sqlalchemy._engines import async_sqlite_engine, sqlite_engine
from tactica.stores.sqlalchemy._event_store_async import AsyncSQLAlchemyEventStore
from tactica.stores.sqlalchemy._event_store_sync import SQLAlchemyEventStore
from tactica.stores.sqlalchemy._repository_async import AsyncSQLAlchemyRepository
from tactica.stores.sqlalchemy._repository_sync import SQLAlchemyRepository
from tactica.stores.sqlalchemy._types import JsonValue
from tactica.stores.sqlalchemy._unit_async import AsyncSQLAlchemyUnitOfWork
from tactica.stores.sqlalchemy._unit_sync import SQLAlchemyUnitOfWork

__all__ = [
    "AsyncSQLAlchemyConnection",
    "AsyncSQLAlchemyEventStore",
    "AsyncSQLAlchemyRepository",
    "AsyncSQLAlchemyUnitOfWork",
    "JsonValue",
    "SQLAlchemyConnection",
    "SQLAlchemyEventStore",
    "SQLAlchemyRepository",
    "SQLAlchemyUnitOfWork",
    "async_create_schema",
    "async_sqlite_engine",
    "create_schema",
    "sqlite_engine",
]
