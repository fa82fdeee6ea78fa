"""Value objects in the pydantic flavour."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, NoReturn, Self, TypeVar

from pydantic import BaseModel, ConfigDict

from tactica.errors import ImmutableObjectError

__all__ = ["ValueObject", "refuse_change", "validated_copy"]

_M = TypeVar("_M", bound=BaseModel)


def refuse_change(self: object, name: str) -> NoReturn:
    """Raise the error for assigning to (or deleting from) an immutable model."""
    kind = type(self).__qualname__
    msg = (
        f"cannot change {kind}.{name}: {kind} is immutable; create a new instance instead "
        "(obj.model_copy(update={...}))"
    )
    raise ImmutableObjectError(msg)


def validated_copy(model: _M, update: Mapping[str, Any] | None, *, deep: bool) -> _M:
    """Copy `model`; with `update`, build the copy through validation and invariants.

    pydantic's own ``model_copy(update=...)`` trusts the new values, which would let an
    invalid value object or event exist. Here a copy is held to the rules of construction.
    """
    if not update:
        return copy.deepcopy(model) if deep else copy.copy(model)
    source = copy.deepcopy(model) if deep else model
    values = {name: getattr(source, name) for name in type(model).model_fields}
    values.update(update)
    return type(model).model_validate(values)


class ValueObject(BaseModel):
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

    def model_post_init(self, _context: Any, /) -> None:
        """Run `check_invariants` once the fields are validated (also after decoding)."""
        self.check_invariants()

    def check_invariants(self) -> None:
        """Raise if the fields break a rule of the value; called after construction."""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Return a copy; changed fields are validated and invariants checked again."""
        return validated_copy(self, update, deep=deep)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        """Refuse: value objects never change."""
        refuse_change(self, name)

    def __delattr__(self, name: str) -> NoReturn:
        """Refuse: value objects never change."""
        refuse_change(self, name)
