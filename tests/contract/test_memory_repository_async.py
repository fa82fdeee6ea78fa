"""The in-memory repository passes the repository contract, for both model flavours."""

from __future__ import annotations

from typing import Any

from tactica import AsyncInMemoryRepository, InMemoryDatabase
from tactica.testing import AsyncRepositoryContract
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard


class TestAsyncInMemoryRepository(AsyncRepositoryContract):
    def setup_method(self) -> None:
        self.database = InMemoryDatabase()

    def new_repository(self) -> Any:
        return AsyncInMemoryRepository(self.account_type, self.database)

    async def commit(self, repository: Any) -> None:
        await repository.commit()


class TestAsyncInMemoryRepositoryWithPydanticModels(TestAsyncInMemoryRepository):
    account_type = PydanticAccount
    card_type = PydanticCard
