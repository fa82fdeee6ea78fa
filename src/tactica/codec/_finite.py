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

from tactica.domain.frozendict import EMPTY, FrozenDict
from tactica.domain.metadata import FROZEN_JSON

__all__ = ["first_non_finite", "float_fields", "non_finite_path"]

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


def _can_hold_float(annotation: object, float_free: tuple[type, ...], *, validated: bool) -> bool:
    while isinstance(annotation, typing.NewType):
        annotation = annotation.__supertype__
    if isinstance(annotation, type) and issubclass(annotation, float_free):
        return False
    if validated and annotation is float:
        return False
    origin = get_origin(annotation)
    if origin is Literal:
        return any(isinstance(arg, float) for arg in get_args(annotation))
    if origin is typing.Annotated:
        base, *markers = get_args(annotation)
        # FROZEN_JSON: checked once, when the value was made (event metadata).
        return FROZEN_JSON not in markers and _can_hold_float(base, float_free, validated=validated)
    if origin in (typing.Union, types.UnionType, tuple, list, frozenset, set) or (
        isinstance(origin, type) and issubclass(origin, Mapping | tuple | list)
    ):
        return any(
            _can_hold_float(arg, float_free, validated=validated)
            for arg in get_args(annotation)
            if arg is not Ellipsis
        )
    return True


def float_fields(
    annotations: Mapping[str, object],
    *,
    float_free: tuple[type, ...] = (),
    validated: bool = False,
) -> tuple[str, ...]:
    """Return the names of the fields whose declared type can hold a non-finite float.

    `float_free` adds classes known to hold no float. `validated` says that plain ``float``
    fields were already checked on construction (pydantic with ``allow_inf_nan=False``), so
    only values that escape validation, such as ``Any``, remain to be walked.
    """
    free = _FLOAT_FREE + float_free
    return tuple(
        name
        for name, annotation in annotations.items()
        if _can_hold_float(annotation, free, validated=validated)
    )


def non_finite_path(value: Any, path: str) -> str | None:
    """Return the path of the first NaN or infinity inside `value`, or ``None``.

    Walks with an explicit stack, so hostile nesting cannot exhaust the recursion limit, and
    visits each container once, so a cycle ends the walk instead of running forever.
    """
    stack: list[tuple[object, str]] = [(value, path)]
    visited: set[int] = set()
    while stack:
        item, where = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return where
            continue
        if id(item) in visited:
            continue
        visited.add(id(item))
        if isinstance(item, Mapping):
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


# Values whose type is one of these hold no float; an empty container holds nothing at all.
_SCALARS = frozenset({str, int, bool, bytes, uuid.UUID, dt.datetime, dt.date, Decimal})
_CONTAINERS = frozenset({dict, FrozenDict, list, tuple, set, frozenset})


def first_non_finite(value: object, fields: tuple[str, ...]) -> str | None:
    """Return the path of the first NaN or infinity in the named fields of `value`."""
    for name in fields:
        item: object = getattr(value, name)
        if item is EMPTY or item is None:  # an event's usual metadata, checked first
            continue
        kind = type(item)
        if type(item) is float:
            if math.isfinite(item):
                continue
        elif (
            item is None
            or kind in _SCALARS
            or ((kind in _CONTAINERS or isinstance(item, Mapping)) and not item)
        ):
            continue
        where = non_finite_path(item, f"$.{name}")
        if where is not None:
            return where
    return None
