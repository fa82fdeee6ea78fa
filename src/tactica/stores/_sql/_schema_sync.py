# Generated from _schema_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""tactica's schema management (sync colour): create or upgrade its tables, once, safely.

Idempotent (every statement is ``IF NOT EXISTS``), versioned (a ``tactica_schema`` row
records which version the tables are at, and a database newer than this tactica is
refused), and safe when several processes start at once: PostgreSQL takes a transaction
advisory lock, SQLite a ``BEGIN IMMEDIATE`` write lock, and the DDL is transactional.
"""

from __future__ import annotations

from tactica.errors import ConfigurationError
from tactica.stores._sql._dialect import dialect_named
from tactica.stores._sql._identifiers import quoted
from tactica.stores._sql._protocol_sync import SQLConnection

__all__ = ["SCHEMA_VERSION", "create_schema"]

SCHEMA_VERSION = 2
"""The version of tactica's tables this release creates and reads.

2 added the projection tables (read models, generations, dead letters, leases); every
statement is ``IF NOT EXISTS``, so creating the schema again brings a version-1 database
up to date.
"""

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS tactica_schema (component TEXT PRIMARY KEY, version INTEGER"
    " NOT NULL)"
)
_RECORD_VERSION = (
    "INSERT INTO tactica_schema (component, version) VALUES ('tactica', ?)"
    " ON CONFLICT (component) DO UPDATE SET version = excluded.version"
)


def create_schema(connection: SQLConnection) -> None:
    """Create tactica's tables (or bring them to `SCHEMA_VERSION`) in one transaction.

    Safe to run at every start-up and from several processes at once. Raises
    `ConfigurationError` if the database was set up by a newer tactica.
    """
    connection.begin()
    try:
        schema_turn = dialect_named(connection.dialect).schema_turn
        if schema_turn is not None:
            connection.fetch(schema_turn)
        namespace = getattr(connection, "namespace", None)  # a PostgreSQL schema, if any
        if namespace is not None:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(namespace)}")
        connection.execute(_VERSION_TABLE)
        rows = connection.fetch(
            "SELECT version FROM tactica_schema WHERE component = 'tactica'"
        )
        _refuse_newer(int(rows[0][0]) if rows else 0)
        for statement in connection.schema:
            connection.execute(statement)
        connection.execute(_RECORD_VERSION, (SCHEMA_VERSION,))
        connection.commit()
    except BaseException:
        connection.rollback()
        raise


def _refuse_newer(found: int) -> None:
    if found > SCHEMA_VERSION:
        msg = (
            f"the database holds tactica's tables at version {found}, newer than this "
            f"tactica's {SCHEMA_VERSION}: upgrade tactica before using this database"
        )
        raise ConfigurationError(msg)
