"""Event metadata: JSON values, frozen all the way down and checked once, when the event is made.

Only values that read back as themselves are accepted: JSON's own (lists read back as the
tuples they were frozen into, mappings as `FrozenDict`).

Freezing nested lists and mappings too means nothing can change the metadata of an event
after it exists, so the codec need not look for NaN in it on every encode.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, cast

from tactica.domain.frozendict import EMPTY, FrozenDict
from tactica.errors import InvalidMessageError

__all__ = ["FROZEN_JSON", "MAX_DEPTH", "freeze_metadata"]

MAX_DEPTH = 32


class _FrozenJson:
    """Annotation marker: the field holds frozen, finite JSON values (no NaN check needed)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FROZEN_JSON"


FROZEN_JSON = _FrozenJson()


def freeze_metadata(metadata: Mapping[str, Any], owner: type) -> FrozenDict[str, Any]:
    """Return `metadata` deeply frozen, refusing non-string keys, NaN and deep nesting.

    Mappings become `FrozenDict`s and lists become tuples; `owner`, the event class, is
    named in the `InvalidMessageError` raised for a value JSON cannot carry faithfully: a
    set, bytes, a UUID, a datetime, a Decimal, an enum or any other object would read back
    as another type, so only str, int, float, bool, None, lists, tuples and mappings with
    str keys are accepted.
    """
    if not metadata:
        return EMPTY
    frozen: FrozenDict[str, Any] = _freeze(metadata, f"{owner.__qualname__}.metadata", 0)
    return frozen


def _freeze(value: object, where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        msg = f"{where} is nested more than {MAX_DEPTH} levels deep; flatten the metadata"
        raise InvalidMessageError(msg)
    if type(value) is float:
        if not math.isfinite(value):
            msg = f"{where} is {value}, which JSON cannot hold; use a finite number or None"
            raise InvalidMessageError(msg)
        return value
    if type(value) is list or type(value) is tuple:
        members = cast("Iterable[object]", value)
        return tuple(
            _freeze(item, f"{where}[{index}]", depth + 1) for index, item in enumerate(members)
        )
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        items: dict[str, Any] = {}
        for key, item in mapping.items():
            if type(key) is not str:
                msg = f"{where} keys must be strings (JSON object keys are), got {key!r}"
                raise InvalidMessageError(msg)
            items[key] = _freeze(item, f"{where}.{key}", depth + 1)
        return FrozenDict(items)
    if type(value) in _JSON_SCALARS:
        return value
    kind = type(value)
    shown = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    msg = (
        f"{where} is a {shown}, which would read back as another type (JSON has no such "
        "value); store str, int, float, bool, None, lists and mappings with str keys "
        "(for example str(uuid), datetime.isoformat(), sorted(a_set))"
    )
    raise InvalidMessageError(msg)


_JSON_SCALARS = frozenset({str, int, bool, type(None)})
