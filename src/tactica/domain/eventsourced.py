"""The mechanics of event-sourced aggregates, shared by both flavours.

An event-sourced aggregate changes only through ``evolve(event)``. `apply_event` is the
command path (evolve, then record, then count the version, all or nothing); `fold_events`
is the loading path (evolve only: nothing recorded). Both work on the instance's
``__dict__``, which holds the fields in both flavours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from tactica.errors import ConfigurationError

__all__ = ["EventSourced", "apply_event", "check_complete", "fold_events"]


class EventSourced(Protocol):
    """What the helpers need of an aggregate: its ``evolve``, ``record`` and ``version``."""

    version: int

    def evolve(self, event: Any, /) -> None:
        """Change the state for one event."""
        ...

    def record(self, event: Any, /) -> None:
        """Add an event to the pending events."""
        ...


def check_complete(aggregate: object, required: tuple[str, ...], after: str) -> None:
    """Raise `ConfigurationError` if a field without a default is still unset `after` events.

    Fields without a default are set by the event that creates the aggregate; one left
    unset is a bug in ``evolve`` (or a history that does not start with a creation event),
    reported here rather than as an ``AttributeError`` far from its cause.
    """
    state = vars(aggregate)
    missing = [name for name in required if name not in state]
    if missing:
        kind = type(aggregate).__qualname__.replace(".<locals>", "")
        msg = (
            f"{kind}.evolve left {', '.join(missing)} unset after {after}: the event that "
            f"creates a {kind} must set every field that has no default (or give those "
            "fields defaults)"
        )
        raise ConfigurationError(msg)


def apply_event(aggregate: EventSourced, event: object, required: tuple[str, ...]) -> None:
    """Evolve `aggregate` by `event`, record it and count it; on any error change nothing.

    Every attribute ``evolve`` assigned is restored when it raises; a container it mutated
    in place (``self.items.append(...)``) is not, which is why ``evolve`` should assign new
    values (tuples, frozensets, `FrozenDict`) or check before it changes anything.
    """
    state = vars(aggregate)
    before = state.copy()
    try:
        aggregate.evolve(event)
        if required:
            check_complete(aggregate, required, type(event).__name__)
    except BaseException:
        state.clear()
        state.update(before)
        raise
    aggregate.record(event)
    state["version"] = state["version"] + 1


def fold_events(
    aggregate: EventSourced,
    events: Iterable[object],
    required: tuple[str, ...],
) -> None:
    """Evolve `aggregate` by each of `events` in order, counting versions, recording nothing.

    ``evolve`` sees the same ``version`` here as through `apply_event` (the version before
    the event), so a replay rebuilds exactly the state the live aggregate had.
    """
    state = vars(aggregate)
    evolve: Callable[[object], None] = aggregate.evolve
    version: int = state["version"]
    last: object = _NOTHING
    for last in events:
        evolve(last)
        version += 1
        state["version"] = version
    if required and last is not _NOTHING:
        check_complete(aggregate, required, f"a history ending with {type(last).__name__}")


_NOTHING = object()
