"""The contracts' sample aggregate in the pydantic flavour (needs the ``pydantic`` extra).

Set ``account_type = Account`` and ``card_type = Card`` from here on a contract subclass to
run it with pydantic models.
"""

from __future__ import annotations

from tactica.pydantic import AggregateRoot as _AggregateRoot
from tactica.pydantic import DomainEvent as _DomainEvent
from tactica.pydantic import Entity as _Entity
from tactica.testing._sample import AccountId

__all__ = ["Account", "AccountId", "Card", "Deposited"]


class Deposited(_DomainEvent, name="tactica.testing.pydantic.deposited"):
    """Money was paid into an account."""

    account_id: AccountId
    amount: int


class Card(_Entity[str]):
    """A card attached to an account: a nested entity whose changes must be stored too."""

    blocked: bool = False


class Account(_AggregateRoot[AccountId]):
    """A bank account with a balance, a history and nested card entities."""

    owner: str
    balance: int = 0
    cards: list[Card] | None = None

    def deposit(self, amount: int) -> None:
        """Pay `amount` in and record it."""
        self.balance += amount
        self.record(Deposited(account_id=self.id, amount=amount))
