# Generated from test_memory_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory repository passes the repository contract, for both model flavours."""

from __future__ import annotations

from typing import Any

from tactica import InMemoryRepository, InMemoryDatabase
from tactica.testing import RepositoryContract
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard


class TestInMemoryRepository(RepositoryContract):
    def setup_method(self) -> None:
        self.database = InMemoryDatabase()

    def new_repository(self) -> Any:
        return InMemoryRepository(self.account_type, self.database)

    def commit(self, repository: Any) -> None:
        repository.commit()


class TestInMemoryRepositoryWithPydanticModels(TestInMemoryRepository):
    account_type = PydanticAccount
    card_type = PydanticCard
