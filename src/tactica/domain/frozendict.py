"""An immutable, hashable mapping used for event metadata."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeVar

from tactica.errors import ImmutableObjectError

__all__ = ["FrozenDict"]

_K = TypeVar("_K")
_V = TypeVar("_V")


def _refuse(self: object, *_args: object, **_kwargs: object) -> NoReturn:
    """Refused: a FrozenDict never changes; build a new one from the old one instead."""
    raise ImmutableObjectError(
        f"{type(self).__name__} cannot be changed; build a new one, e.g. "
        "FrozenDict({**old, 'key': value})"
    )


class FrozenDict(dict[_K, _V]):
    """A `dict` that refuses every change after construction and can be hashed.

    It stays a real `dict` so JSON encoders handle it natively and reading costs nothing
    extra; only the mutating methods are closed.
    """

    __slots__ = ("_hash",)

    def __new__(
        cls, items: Mapping[_K, _V] | Iterable[tuple[_K, _V]] = (), /, **kwargs: _V
    ) -> Self:
        """Build the mapping once, like `dict`; it can never be filled again."""
        self = super().__new__(cls)
        dict.__init__(self, items, **kwargs)  # pyright: ignore[reportUnknownMemberType]
        return self

    if not TYPE_CHECKING:  # type checkers read the constructor's signature from __new__

        def __init__(self, *_args: object, **_kwargs: object) -> None:
            """Do nothing: `__new__` set the content; a second call must not refill it.

            Without this, ``EMPTY.__init__(x)`` would fill the mapping every event shares.
            """

    @classmethod
    def fromkeys(cls, keys: Iterable[Any], value: Any = None, /) -> Any:
        """Return a FrozenDict with `keys`, each mapped to `value`."""
        return cls(dict.fromkeys(keys, value))

    def __or__(self, other: Any) -> Any:
        """Return a new FrozenDict with `other`'s items added (they win on shared keys)."""
        if not isinstance(other, Mapping):
            return NotImplemented
        merged: dict[Any, Any] = {**self, **other}
        return type(self)(merged)

    def __ror__(self, other: Any) -> Any:
        """Return a new FrozenDict with this one's items added to `other`'s."""
        if not isinstance(other, Mapping):
            return NotImplemented
        merged: dict[Any, Any] = {**other, **self}
        return type(self)(merged)

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse  # refusing is the point
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    # dict declares itself unhashable; this one is hashable on purpose.
    def __hash__(self) -> int:  # type: ignore[override]  # pyright: ignore[reportIncompatibleVariableOverride]
        """Hash by content, computed once."""
        try:
            return self._hash
        except AttributeError:
            self._hash: int = hash(frozenset(self.items()))
            return self._hash

    def __repr__(self) -> str:
        """Show the content like a dict literal wrapped in the type name."""
        return f"FrozenDict({super().__repr__()})"

    def __copy__(self) -> FrozenDict[_K, _V]:
        """Return self: an immutable value needs no copy."""
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[_K, _V]:
        """Copy the values too: the mapping is frozen, but a value inside may be mutable."""
        return type(self)(copy.deepcopy(dict(self), memo))

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuild from a plain dict (dict's default would call the refused __setitem__)."""
        return (type(self), (dict(self),))


EMPTY: FrozenDict[Any, Any] = FrozenDict()
