"""Value objects in the dataclass flavour."""

from __future__ import annotations

from tactica.dataclasses._model import FrozenModel

__all__ = ["ValueObject"]


class ValueObject(FrozenModel):
    """An immutable value described entirely by its fields.

    Declare fields as annotations; no decorator is needed. Instances are keyword-only,
    frozen, equal and hashed by value. Override `check_invariants` to validate on
    construction; operations return new instances.

    Examples:
        >>> from tactica.dataclasses import ValueObject
        >>> class Money(ValueObject):
        ...     amount: int
        ...     currency: str
        ...
        ...     def check_invariants(self) -> None:
        ...         if self.amount < 0:
        ...             raise ValueError("amount must not be negative")
        >>> Money(amount=5, currency="EUR") == Money(amount=5, currency="EUR")
        True
    """

    def __post_init__(self) -> None:
        """Run `check_invariants` once the fields are set (also after decoding)."""
        self.check_invariants()

    def check_invariants(self) -> None:
        """Raise if the fields break a rule of the value; called after construction."""
