"""The PostgreSQL repository (async colour) passes the repository contract, in both flavours.

Needs the PostgreSQL on 127.0.0.1:5432 (database ``test``); skipped without it on a laptop,
a failure under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import pytest

from tactica import uuid7
from tactica.stores.postgres import (
    AsyncPostgresConnection,
    AsyncPostgresRepository,
    async_create_schema,
)
from tactica.testing import AsyncRepositoryContract
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard

CONNINFO = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


def require_postgres() -> None:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and is not reachable: {error}")
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {error}")


class TestAsyncPostgresRepository(AsyncRepositoryContract):
    def setup_method(self) -> None:
        require_postgres()
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
