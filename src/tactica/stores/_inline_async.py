"""Inline projections (async colour): what every unit of work checks them with, by colour."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tactica._acompat import async_accepts_coroutines
from tactica.ports._projection_like import ProjectionLike
from tactica.projections._projection import checked_handlers

__all__ = ["Inline", "async_checked_inline"]

Inline = list[tuple[str, Mapping[type, Callable[[Any, Any], object]]]]
"""Each inline projection's name and its handlers by event type."""


def async_checked_inline(inline: Sequence[ProjectionLike]) -> Inline:
    """Return each inline projection's name and handlers, once all are of this colour.

    Raises `HandlerColourError` naming the first handler of the other colour: called by
    units of work before they open a connection, so a refusal leaves nothing open.
    """
    return [
        (
            projection.name,
            checked_handlers(projection, awaits=async_accepts_coroutines, host="unit of work"),
        )
        for projection in inline
    ]
