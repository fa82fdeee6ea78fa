"""The PostgreSQL repository (async colour) passes the repository contract, in both flavours.

Needs the PostgreSQL on 127.0.0.1:5432 (database ``test``); skipped without it on a laptop,
a failure under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from tactica import uuid7
from tactica.stores.postgres import (
    AsyncPostgresConnection,
    AsyncPostgresRepository,
    async_create_schema,
)
from tactica.testing import AsyncRepositoryContract, require_service
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard

CONNINFO = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


class TestAsyncPostgresRepository(AsyncRepositoryContract):
    def setup_method(self) -> None:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        self.connections: list[AsyncPostgresConnection] = []
        # Each test keys its rows by its own type name, so tests never see each other's.
        self.type_name = f"tests.contract.{uuid7()}"
        asyncio.run(self._prepare())

    async def _prepare(self) -> None:
        connection = AsyncPostgresConnection(CONNINFO)
        await async_create_schema(connection)
        await connection.close()

    def teardown_method(self) -> None:
        asyncio.run(self._clean())

    async def _clean(self) -> None:
        for connection in self.connections:
            await connection.close()
        connection = AsyncPostgresConnection(CONNINFO)
        await connection.execute(
            "DELETE FROM tactica_aggregates WHERE aggregate_type = ?", (self.type_name,)
        )
        await connection.close()

    def new_repository(self) -> Any:
        connection = AsyncPostgresConnection(CONNINFO)
        self.connections.append(connection)
        return AsyncPostgresRepository(self.account_type, connection, type_name=self.type_name)

    async def commit(self, repository: Any) -> None:
        await repository.commit()


class TestAsyncPostgresRepositoryWithPydanticModels(TestAsyncPostgresRepository):
    account_type = PydanticAccount
    card_type = PydanticCard
