"""The base of every pydantic-flavour class: tactica's rules around pydantic's validation.

pydantic turns a `ValueError` or `AssertionError` raised while a model is built into its own
`ValidationError`, so a domain error such as ``class OutOfStock(ValueError)`` raised by
`check_invariants` could not be caught by its own type. Such errors are marked when raised,
and the class's validator re-raises a marked error unchanged when it is the only failure,
as the dataclass flavour raises it. Wherever else pydantic validates a tactica model (inside
a plain model, a TypeAdapter, a FastAPI body) the error stays an ordinary
`ValidationError`, exactly as pydantic users expect.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ValidationError

from tactica.errors import ConfigurationError

__all__ = ["TacticaModel", "raw_validator", "validated_copy"]

_MARK = "__tactica_invariant__"


def _marked_error(error: ValidationError) -> BaseException | None:
    """Return the domain error behind `error` if it is the one and only failure."""
    details = error.errors(include_url=False)
    if len(details) != 1:
        return None
    cause = details[0].get("ctx", {}).get("error")
    if isinstance(cause, BaseException) and getattr(cause, _MARK, False):
        cause.__suppress_context__ = True
        return cause
    return None


class _UnwrappingValidator:
    """Stands in for a model's schema validator and re-raises marked domain errors as-is."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def validate_python(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.inner.validate_python(*args, **kwargs)
        except ValidationError as error:
            raise _marked_error(error) or error from None

    def validate_json(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.inner.validate_json(*args, **kwargs)
        except ValidationError as error:
            raise _marked_error(error) or error from None

    def validate_strings(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.inner.validate_strings(*args, **kwargs)
        except ValidationError as error:
            raise _marked_error(error) or error from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _wrap_validator(cls: type[BaseModel]) -> None:
    validator = cls.__dict__.get("__pydantic_validator__")
    if validator is not None and not isinstance(validator, _UnwrappingValidator):
        type.__setattr__(cls, "__pydantic_validator__", _UnwrappingValidator(validator))


class TacticaModel(BaseModel):
    """Validation, then the class's own completion step, then `check_invariants`."""

    @classmethod
    def __pydantic_on_complete__(cls) -> None:
        """Route construction and ``model_validate*`` through the unwrapping validator."""
        super().__pydantic_on_complete__()
        _wrap_validator(cls)

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        """Rebuild like pydantic, keeping the unwrapping validator (a forced rebuild drops it)."""
        rebuilt = super().model_rebuild(
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            _types_namespace=_types_namespace,
        )
        _wrap_validator(cls)
        return rebuilt

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a ``model_post_init`` of the user's: it would skip tactica's checks."""
        super().__pydantic_init_subclass__(**kwargs)
        # pydantic wraps the inherited hook in classes with private attributes; unwrap to see
        # whose it really is (the class's own, or one inherited from a mixin).
        if inspect.unwrap(cls.model_post_init) is not TacticaModel.__dict__["model_post_init"]:
            msg = (
                f"{cls.__qualname__} defines or inherits its own model_post_init, which would "
                "replace tactica's id generation and checks; put validation in "
                "check_invariants() instead"
            )
            raise ConfigurationError(msg)

    def model_post_init(self, _context: Any, /) -> None:
        """Complete the instance, then run `check_invariants` (also after decoding)."""
        try:
            self._complete()
            self.check_invariants()
        except (ValueError, AssertionError) as error:
            with contextlib.suppress(AttributeError):  # an exception class with __slots__
                setattr(error, _MARK, True)
            raise

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
