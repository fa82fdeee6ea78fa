"""Checks of read arguments, and the stream window every backend returns: PURE."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar, cast

from tactica.errors import InvalidReadError

__all__ = ["checked_read", "checked_read_all", "window"]

T = TypeVar("T")


def _positive_int(name: str, value: object, minimum: int) -> None:
    if type(value) is not int or value < minimum:
        msg = f"{name} must be an int >= {minimum}, not {value!r}"
        raise InvalidReadError(msg)


def checked_read(
    stream_id: object, from_version: object, to_version: object, limit: object
) -> None:
    """Refuse a stream read with arguments of the wrong type or range."""
    if type(stream_id) is not str:
        msg = f"a stream id is a str, not {type(stream_id).__name__}"
        raise InvalidReadError(msg)
    _positive_int("from_version", from_version, 1)
    if to_version is not None:
        _positive_int("to_version", to_version, 1)
    if limit is not None:
        _positive_int("limit", limit, 1)


def checked_read_all(after: object, limit: object, types: Collection[str] | None) -> None:
    """Refuse a global read with arguments of the wrong type or range."""
    _positive_int("after", after, 0)
    _positive_int("limit", limit, 1)
    names = cast("object", types)
    if names is None:
        return
    members = cast("Collection[object]", names) if isinstance(names, Collection) else None
    if isinstance(names, str) or members is None or not all(isinstance(n, str) for n in members):
        msg = f"types must be a collection of type names, not {types!r}"
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
