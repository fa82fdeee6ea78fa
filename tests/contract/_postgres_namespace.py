"""A PostgreSQL schema of its own for each contract test class, on the shared server.

Other tests (and other runs) write to the same database; a namespace per class keeps
their events out of every global read. Subclasses name the tables `empty` clears.
"""

from __future__ import annotations

import os
from typing import ClassVar

from tactica import uuid7
from tactica.stores.postgres import PostgresConnection, create_schema
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


class OwnNamespace:
    """Creates the class's schema before its tests, drops it after, empties it per test."""

    namespace: ClassVar[str] = ""
    prefix: ClassVar[str] = "contract"
    tables: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def setup_class(cls) -> None:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        cls.namespace = f"{cls.prefix}_{uuid7().hex[-12:]}"
        connection = PostgresConnection(POSTGRES, namespace=cls.namespace)
        create_schema(connection)
        connection.close()

    @classmethod
    def teardown_class(cls) -> None:
        if cls.namespace:
            admin = PostgresConnection(POSTGRES)
            admin.execute(f'DROP SCHEMA IF EXISTS "{cls.namespace}" CASCADE')
            admin.close()

    def empty(self) -> None:
        connection = PostgresConnection(POSTGRES, namespace=self.namespace)
        # DELETE, not TRUNCATE: a few rows go much faster than new files for each table.
        for table in self.tables:
            connection.execute(f"DELETE FROM {table}")
        connection.close()
