"""The decorator-free dataclass machinery shared by every dataclass-flavour base."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, NoReturn

from typing_extensions import dataclass_transform

from tactica.errors import ConfigurationError, ImmutableObjectError

__all__ = ["FrozenModel", "MutableModel", "refuse_change"]


def refuse_change(self: object, name: str, _value: object = None) -> NoReturn:
    """Raise the error for assigning to (or deleting from) an immutable instance."""
    kind = type(self).__qualname__
    msg = (
        f"cannot change {kind}.{name}: {kind} is immutable; create a new instance instead "
        "(dataclasses.replace(obj, field=value))"
    )
    raise ImmutableObjectError(msg)


def _refuse_delete(self: object, name: str) -> NoReturn:
    refuse_change(self, name)


def require_redeclared_fields(cls: type) -> None:
    """Make a field that a subclass redeclares without a default required.

    A plain dataclass would silently keep the base's default (the inherited class attribute);
    type checkers and pydantic treat the redeclared field as required, and so does tactica.
    """
    inherited = {
        field.name
        for base in cls.__mro__[1:]
        if dataclasses.is_dataclass(base)
        for field in dataclasses.fields(base)
    }
    for name in inspect.get_annotations(cls):
        if name in inherited and name not in cls.__dict__:
            setattr(cls, name, dataclasses.field())


def refuse_own_post_init(cls: type) -> None:
    """Raise `ConfigurationError` if a user's class defines or inherits ``__post_init__``.

    The bases do their work there (generate the id, freeze metadata, check invariants); a
    hook of the user's, or of a mixin, that forgets ``super()`` would silently skip it.
    """
    owner = next((klass for klass in cls.__mro__ if "__post_init__" in klass.__dict__), None)
    if owner is not None and not owner.__module__.startswith("tactica."):
        msg = (
            f"{cls.__qualname__} defines or inherits its own __post_init__ (from "
            f"{owner.__qualname__}), which would replace tactica's id generation and checks; "
            "put validation in check_invariants() instead"
        )
        raise ConfigurationError(msg)


@dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,)
)
class FrozenModel:
    """Base of immutable dataclass-flavour classes: every subclass becomes a frozen dataclass.

    Subclasses are keyword-only and compare by value; assigning a field raises
    `ImmutableObjectError`. Validation belongs in ``check_invariants``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Turn the subclass into a frozen, keyword-only dataclass."""
        super().__init_subclass__(**kwargs)
        refuse_own_post_init(cls)
        require_redeclared_fields(cls)
        dataclasses.dataclass(cls, frozen=True, kw_only=True)
        cls.__setattr__ = refuse_change  # type: ignore[method-assign]
        cls.__delattr__ = _refuse_delete  # type: ignore[method-assign]


@dataclass_transform(
    kw_only_default=True, frozen_default=False, field_specifiers=(dataclasses.field,)
)
class MutableModel:
    """Base of mutable dataclass-flavour classes (entities): keyword-only, no value equality."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Turn the subclass into a keyword-only dataclass that keeps the inherited equality."""
        super().__init_subclass__(**kwargs)
        refuse_own_post_init(cls)
        require_redeclared_fields(cls)
        dataclasses.dataclass(cls, kw_only=True, eq=False)
