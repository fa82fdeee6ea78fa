"""PostgreSQL backends (extra ``postgres``: psycopg 3): repositories and units of work.

The event store and the outbox on PostgreSQL come in later releases.
"""

from tactica._extras import require_extra as _require_extra

_require_extra("psycopg", feature="tactica.stores.postgres", extra="postgres")

from tactica.stores._sql._schema_async import async_create_schema
from tactica.stores._sql._schema_sync import create_schema
from tactica.stores.postgres._connection import AsyncPostgresConnection, PostgresConnection
from tactica.stores.postgres._database_async import AsyncPostgresDatabase
from tactica.stores.postgres._database_sync import PostgresDatabase
from tactica.stores.postgres._event_store_async import AsyncPostgresEventStore
from tactica.stores.postgres._event_store_sync import PostgresEventStore
from tactica.stores.postgres._repository import AsyncPostgresRepository, PostgresRepository
from tactica.stores.postgres._unit_async import AsyncPostgresUnitOfWork
from tactica.stores.postgres._unit_sync import PostgresUnitOfWork

__all__ = [
    "AsyncPostgresConnection",
    "AsyncPostgresDatabase",
    "AsyncPostgresEventStore",
    "AsyncPostgresRepository",
    "AsyncPostgresUnitOfWork",
    "PostgresConnection",
    "PostgresDatabase",
    "PostgresEventStore",
    "PostgresRepository",
    "PostgresUnitOfWork",
    "async_create_schema",
    "create_schema",
]
