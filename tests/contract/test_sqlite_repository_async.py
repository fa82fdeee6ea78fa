"""The SQLite repository (async colour) passes the repository contract, in both model flavours."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tactica.stores.sqlite import AsyncSQLiteConnection, AsyncSQLiteRepository, async_create_schema
from tactica.testing import AsyncRepositoryContract
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard


class TestAsyncSQLiteRepository(AsyncRepositoryContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-sqlite-"))
        self.path = self.directory / "store.db"
        self.connections: list[AsyncSQLiteConnection] = []
        schema = self._connect()
        asyncio.run(async_create_schema(schema))

    def teardown_method(self) -> None:
        for connection in self.connections:
            asyncio.run(connection.close())
        shutil.rmtree(self.directory, ignore_errors=True)

    def _connect(self) -> AsyncSQLiteConnection:
        connection = AsyncSQLiteConnection(self.path)
        self.connections.append(connection)
        return connection

    def new_repository(self) -> Any:
        return AsyncSQLiteRepository(self.account_type, self._connect())

    async def commit(self, repository: Any) -> None:
        await repository.commit()


class TestAsyncSQLiteRepositoryWithPydanticModels(TestAsyncSQLiteRepository):
    account_type = PydanticAccount
    card_type = PydanticCard
