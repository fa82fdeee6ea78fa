"""The base of every pydantic-flavour class: tactica's rules around pydantic's validation.

pydantic turns a `ValueError` or `AssertionError` raised while a model is built into its own
`ValidationError`, so a domain error such as ``class OutOfStock(ValueError)`` raised by
`check_invariants` could not be caught by its own type. The errors are carried past
pydantic's validation and re-raised unchanged, as the dataclass flavour raises them.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any, NoReturn, Self, TypeVar

from pydantic import BaseModel

from tactica.errors import ConfigurationError

__all__ = ["InvariantCarrier", "TacticaModel", "raw_validator", "validated_copy"]


class InvariantCarrier(Exception):  # noqa: N818 - private; never reaches users
    """Carries an error from `check_invariants` through pydantic's validation, unwrapped."""

    def __init__(self, error: ValueError | AssertionError) -> None:
        """Hold `error`."""
        super().__init__(error)
        self.error = error

    def reraise(self) -> NoReturn:
        """Raise the carried error as if nothing had been in between."""
        self.error.__suppress_context__ = True
        raise self.error


class _UnwrappingValidator:
    """Stands in for a model's schema validator and re-raises carried domain errors as-is."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def validate_python(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.inner.validate_python(*args, **kwargs)
        except InvariantCarrier as carrier:
            carrier.reraise()

    def validate_json(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.inner.validate_json(*args, **kwargs)
        except InvariantCarrier as carrier:
            carrier.reraise()

    def validate_strings(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.inner.validate_strings(*args, **kwargs)
        except InvariantCarrier as carrier:
            carrier.reraise()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class TacticaModel(BaseModel):
    """Validation, then the class's own completion step, then `check_invariants`."""

    @classmethod
    def __pydantic_on_complete__(cls) -> None:
        """Route construction, ``model_validate*`` and decoding through the unwrapping validator.

        Called by pydantic each time it (re)builds the class's validator.
        """
        super().__pydantic_on_complete__()
        validator = cls.__dict__.get("__pydantic_validator__")
        if validator is not None and not isinstance(validator, _UnwrappingValidator):
            type.__setattr__(cls, "__pydantic_validator__", _UnwrappingValidator(validator))

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a subclass's own ``model_post_init``: it would skip tactica's checks."""
        super().__pydantic_init_subclass__(**kwargs)
        own = cls.__dict__.get("model_post_init")
        # pydantic wraps the inherited hook in classes with private attributes; unwrap to see
        # whether the subclass wrote its own.
        if own is not None and inspect.unwrap(own) is not TacticaModel.__dict__["model_post_init"]:
            msg = (
                f"{cls.__qualname__} defines model_post_init, which would replace tactica's "
                "id generation and checks; put validation in check_invariants() instead"
            )
            raise ConfigurationError(msg)

    def model_post_init(self, _context: Any, /) -> None:
        """Complete the instance, then run `check_invariants` (also after decoding)."""
        try:
            self._complete()
            self.check_invariants()
        except (ValueError, AssertionError) as error:
            raise InvariantCarrier(error) from None

    def _complete(self) -> None:
        """Fill what validation leaves to the class (an entity's generated id)."""

    def check_invariants(self) -> None:
        """Raise if the fields break a rule of the class; called after construction."""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Return a copy; changed fields are validated and invariants checked again."""
        return validated_copy(self, update, deep=deep)


_M = TypeVar("_M", bound=BaseModel)


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
    result = type(model).model_validate(values)
    private = source.__pydantic_private__
    if private:
        # Private state (an aggregate's pending events) travels with the copy, in its own lists.
        object.__setattr__(
            result,
            "__pydantic_private__",
            {key: copy.copy(value) for key, value in private.items()},
        )
    return result


def raw_validator(cls: type[BaseModel]) -> Any:
    """Return the class's pydantic validator itself, which lets carried errors through.

    For the codec: a decoded document that breaks an invariant is bad input, reported as
    `MessageDecodeError`, not the domain error construction would raise.
    """
    validator: Any = cls.__pydantic_validator__
    return validator.inner if isinstance(validator, _UnwrappingValidator) else validator
