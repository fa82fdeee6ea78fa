"""The small aggregate the contracts exercise backends with."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

from tactica.dataclasses import AggregateRoot, DomainEvent, Entity

__all__ = ["Account", "AccountId", "Card", "Deposited"]

AccountId = NewType("AccountId", UUID)


class Deposited(DomainEvent, name="tactica.testing.deposited"):
    """Money was paid into an account."""

    account_id: AccountId
    amount: int


class Card(Entity[str]):
    """A card attached to an account: a nested entity whose changes must be stored too."""

    blocked: bool = False


class Account(AggregateRoot[AccountId]):
    """A bank account with a balance, a history and nested card entities."""

    owner: str
    balance: int = 0
    cards: list[Card] | None = None

    def deposit(self, amount: int) -> None:
        """Pay `amount` in and record it."""
        self.balance += amount
        self.record(Deposited(account_id=self.id, amount=amount))
