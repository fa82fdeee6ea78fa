"""Value objects in the pydantic flavour."""

from __future__ import annotations

from typing import NoReturn

from pydantic import ConfigDict

from tactica.errors import ImmutableObjectError
from tactica.pydantic._base import TacticaModel

__all__ = ["ValueObject", "refuse_change"]


def refuse_change(self: object, name: str) -> NoReturn:
    """Raise the error for assigning to (or deleting from) an immutable model."""
    kind = type(self).__qualname__
    msg = (
        f"cannot change {kind}.{name}: {kind} is immutable; create a new instance instead "
        "(obj.model_copy(update={...}), which validates the changes)"
    )
    raise ImmutableObjectError(msg)


class ValueObject(TacticaModel):
    """An immutable value described entirely by its fields.

    Keyword-only, frozen, equal and hashed by value; unknown fields are rejected. Override
    `check_invariants` to validate on construction; operations return new instances.

    Examples:
        >>> from tactica.pydantic import ValueObject
        >>> class Money(ValueObject):
        ...     amount: int
        ...     currency: str
        >>> Money(amount=5, currency="EUR") == Money(amount=5, currency="EUR")
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def check_invariants(self) -> None:
        """Raise if the fields break a rule of the value; called after construction."""

    def __setattr__(self, name: str, value: object) -> NoReturn:
        """Refuse: value objects never change."""
        refuse_change(self, name)

    def __delattr__(self, name: str) -> NoReturn:
        """Refuse: value objects never change."""
        refuse_change(self, name)
