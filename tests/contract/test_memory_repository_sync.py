# Generated from test_memory_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory repository passes the repository contract, for both model flavours."""

from __future__ import annotations

from typing import Any

from tactica import InMemoryRepository, InMemoryDatabase
from tactica.pydantic import AggregateRoot, DomainEvent, Entity
from tactica.testing import AccountId, RepositoryContract


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
