"""Checks of read arguments, and the stream window every backend returns: PURE."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar, cast

from tactica.errors import InvalidReadError
from tactica.ports._checks import MAX_INT64, int_problem, name_problem, shown
from tactica.ports._events import MAX_STREAM_ID_LENGTH, valid_type_name

__all__ = [
    "MAX_TYPES_PER_READ",
    "checked_name",
    "checked_read",
    "checked_read_all",
    "window",
]

T = TypeVar("T")

MAX_TYPES_PER_READ = 500
"""The most type names one global read filters by (each is a bound parameter)."""


def _checked_int(name: str, value: object, minimum: int) -> None:
    problem = int_problem(value, minimum, MAX_INT64)
    if problem is not None:
        msg = f"{name} {problem}"
        raise InvalidReadError(msg)


def checked_name(value: object, what: str) -> str:
    """Return `value` if it can name a stored stream, checkpoint or snapshot; raise otherwise.

    The same rule as appends and commits, so that a read never sends the database a value
    it could not have stored.
    """
    problem = name_problem(value, max_length=MAX_STREAM_ID_LENGTH)
    if problem is not None:
        msg = f"{what} {problem}: {shown(value)}"
        raise InvalidReadError(msg)
    return cast("str", value)


def checked_read(
    stream_id: object,
    from_version: object,
    to_version: object,
    limit: object,
    *,
    backwards: object = False,
) -> None:
    """Refuse a stream read with arguments of the wrong type or range."""
    checked_name(stream_id, "a stream id")
    _checked_int("from_version", from_version, 1)
    if to_version is not None:
        _checked_int("to_version", to_version, 1)
    if limit is not None:
        _checked_int("limit", limit, 1)
    if type(backwards) is not bool:
        msg = f"backwards must be True or False, not {shown(backwards)}"
        raise InvalidReadError(msg)


def checked_read_all(after: object, limit: object, types: object) -> None:
    """Refuse a global read with arguments of the wrong type or range."""
    _checked_int("after", after, 0)
    _checked_int("limit", limit, 1)
    if types is None:
        return
    given: object = types  # quoted back as given, whatever isinstance learns below
    members = cast("Collection[object]", types) if isinstance(types, Collection) else None
    if isinstance(types, str | bytes) or members is None:
        msg = f"types must be a collection of type names, not {shown(given)}"
        raise InvalidReadError(msg)
    if len(members) > MAX_TYPES_PER_READ:
        msg = (
            f"types lists {len(members)} names, more than {MAX_TYPES_PER_READ}; read without "
            "a filter and select the types yourself"
        )
        raise InvalidReadError(msg)
    for name in members:
        if not valid_type_name(name):
            msg = f"types must hold registered type names; {shown(name)} cannot be one"
            raise InvalidReadError(msg)


def window(
    events: Sequence[T],
    from_version: int,
    to_version: int | None,
    *,
    backwards: bool,
    limit: int | None,
) -> list[T]:
    """Return versions `from_version`..`to_version` of a whole stream, in the asked order."""
    chosen = list(events[from_version - 1 : to_version])
    if backwards:
        chosen.reverse()
    return chosen if limit is None else chosen[:limit]
