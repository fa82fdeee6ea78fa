"""The in-memory repository passes the repository contract, for both model flavours."""

from __future__ import annotations

from typing import Any

from tactica import AsyncInMemoryRepository, InMemoryDatabase
from tactica.pydantic import AggregateRoot, DomainEvent, Entity
from tactica.testing import AccountId, AsyncRepositoryContract


class PydanticDeposited(DomainEvent, name="tests.pydantic.deposited"):
    account_id: AccountId
    amount: int


class PydanticCard(Entity[str]):
    blocked: bool = False


class PydanticAccount(AggregateRoot[AccountId]):
    owner: str
    balance: int = 0
    cards: list[PydanticCard] | None = None

    def deposit(self, amount: int) -> None:
        self.balance += amount
        self.record(PydanticDeposited(account_id=self.id, amount=amount))


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
