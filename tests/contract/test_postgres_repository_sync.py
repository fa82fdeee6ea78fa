# Generated from test_postgres_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The PostgreSQL repository (sync colour) passes the repository contract, in both flavours.

Needs the PostgreSQL on 127.0.0.1:5432 (database ``test``); skipped without it on a laptop,
a failure under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from tactica import uuid7
from tactica.stores.postgres import (
    PostgresConnection,
    PostgresRepository,
    create_schema,
)
from tactica.testing import RepositoryContract, require_service
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard

CONNINFO = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


class TestPostgresRepository(RepositoryContract):
    def setup_method(self) -> None:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        self.connections: list[PostgresConnection] = []
        # Each test keys its rows by its own type name, so tests never see each other's.
        self.type_name = f"tests.contract.{uuid7()}"
        self._prepare()

    def _prepare(self) -> None:
        connection = PostgresConnection(CONNINFO)
        create_schema(connection)
        connection.close()

    def teardown_method(self) -> None:
        self._clean()

    def _clean(self) -> None:
        for connection in self.connections:
            connection.close()
        connection = PostgresConnection(CONNINFO)
        connection.execute(
            "DELETE FROM tactica_aggregates WHERE aggregate_type = ?", (self.type_name,)
        )
        connection.close()

    def new_repository(self) -> Any:
        connection = PostgresConnection(CONNINFO)
        self.connections.append(connection)
        return PostgresRepository(self.account_type, connection, type_name=self.type_name)

    def commit(self, repository: Any) -> None:
        repository.commit()


class TestPostgresRepositoryWithPydanticModels(TestPostgresRepository):
    account_type = PydanticAccount
    card_type = PydanticCard
