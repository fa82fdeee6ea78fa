"""The small aggregate the contracts exercise backends with."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

from tactica.dataclasses import AggregateRoot, DomainEvent, Entity

__all__ = ["Account", "AccountId", "Card", "Deposited", "PriceChanged", "Product", "Restocked"]

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


class Restocked(DomainEvent, name="tactica.testing.restocked"):
    """Stock arrived for a product: a domain event, which stays inside the service."""

    sku: str
    quantity: int


class PriceChanged(DomainEvent, name="tactica.testing.price-changed", integration=True):
    """A product's price changed: an integration event, which goes through the outbox."""

    sku: str
    price: int


class Product(AggregateRoot[str]):
    """A product with a stock level: the aggregate the unit-of-work contract stores."""

    stock: int = 0

    def restock(self, quantity: int) -> None:
        """Add `quantity` to the stock and record it."""
        self.stock += quantity
        self.record(Restocked(sku=self.id, quantity=quantity))
