# Generated from test_sqlite_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQLite repository (sync colour) passes the repository contract, in both model flavours."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tactica.stores.sqlite import SQLiteConnection, SQLiteRepository, create_schema
from tactica.testing import RepositoryContract
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard


class TestSQLiteRepository(RepositoryContract):
    def setup_method(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tactica-sqlite-"))
        self.path = self.directory / "store.db"
        self.connections: list[SQLiteConnection] = []
        schema = self._connect()
        create_schema(schema)

    def teardown_method(self) -> None:
        for connection in self.connections:
            connection.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _connect(self) -> SQLiteConnection:
        connection = SQLiteConnection(self.path)
        self.connections.append(connection)
        return connection

    def new_repository(self) -> Any:
        return SQLiteRepository(self.account_type, self._connect())

    def commit(self, repository: Any) -> None:
        repository.commit()


class TestSQLiteRepositoryWithPydanticModels(TestSQLiteRepository):
    account_type = PydanticAccount
    card_type = PydanticCard
