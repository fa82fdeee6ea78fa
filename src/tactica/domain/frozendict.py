"""An immutable, hashable mapping used for event metadata."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

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

    if TYPE_CHECKING:
        # dict's own constructor runs at runtime; a Python-level one would double its cost.
        def __init__(
            self, items: Mapping[_K, _V] | Iterable[tuple[_K, _V]] = (), /, **kwargs: _V
        ) -> None:
            """Build the mapping once, like `dict`."""

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
        return FrozenDict(copy.deepcopy(dict(self), memo))

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuild from a plain dict (dict's default would call the refused __setitem__)."""
        return (FrozenDict, (dict(self),))


EMPTY: FrozenDict[Any, Any] = FrozenDict()
