"""Finding NaN and infinity before they are encoded: JSON has no spelling for them.

Both msgspec and pydantic would silently write ``null``, turning a stored value into a
different one. The codec refuses instead. Only fields whose declared type can hold a float
are walked, so events made of strings, ints, UUIDs and timestamps pay nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import types
import typing
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal, cast, get_args, get_origin

__all__ = ["float_fields", "non_finite_path"]

_FLOAT_FREE: tuple[type, ...] = (
    str,
    int,
    bytes,
    uuid.UUID,
    dt.datetime,
    dt.date,
    dt.time,
    dt.timedelta,
    Decimal,
    enum.Enum,
    type(None),
)


def _can_hold_float(annotation: object) -> bool:
    while isinstance(annotation, typing.NewType):
        annotation = annotation.__supertype__
    if isinstance(annotation, type) and issubclass(annotation, _FLOAT_FREE):
        return False
    origin = get_origin(annotation)
    if origin is Literal:
        return any(isinstance(arg, float) for arg in get_args(annotation))
    if origin is typing.Annotated:
        return _can_hold_float(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list, frozenset, set) or (
        isinstance(origin, type) and issubclass(origin, Mapping | tuple | list)
    ):
        return any(_can_hold_float(arg) for arg in get_args(annotation) if arg is not Ellipsis)
    return True


def float_fields(annotations: Mapping[str, object]) -> tuple[str, ...]:
    """Return the names of `cls`'s fields whose declared type can hold a float value."""
    return tuple(name for name, annotation in annotations.items() if _can_hold_float(annotation))


def non_finite_path(value: Any, path: str) -> str | None:
    """Return the path of the first NaN or infinity inside `value`, or ``None``.

    Walks with an explicit stack, so hostile nesting cannot exhaust the recursion limit.
    """
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return where
        elif isinstance(item, Mapping):
            mapping = cast("Mapping[object, object]", item)
            stack.extend((v, f"{where}.{k}") for k, v in mapping.items())
        elif isinstance(item, list | tuple | set | frozenset):
            members = cast("Iterable[object]", item)
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(members))
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(
                (getattr(item, f.name), f"{where}.{f.name}") for f in dataclasses.fields(item)
            )
        elif hasattr(type(item), "__pydantic_fields__"):
            stack.extend((v, f"{where}.{k}") for k, v in vars(item).items())
    return None
