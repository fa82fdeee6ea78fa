"""The mechanics of event-sourced aggregates, shared by both flavours.

An event-sourced aggregate changes only through ``evolve(event)``. `apply_event` is the
command path (evolve, then record, then count the version, all or nothing); `fold_events`
is the loading path (evolve only: nothing recorded). Both work on the instance's
``__dict__``, which holds the fields in both flavours.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, cast

from tactica.errors import ConfigurationError

__all__ = [
    "EVENT_TYPES",
    "EventSourced",
    "apply_event",
    "check_complete",
    "event_classes",
    "fold_events",
    "generic_event_argument",
    "substitute",
]

EVENT_TYPES = "__tactica_event_types__"
"""The class attribute where each flavour records the event classes an aggregate declares."""


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


def event_classes(argument: object) -> tuple[type, ...]:
    """Return the classes an aggregate's event type argument names: one, or a union's.

    ``Any``, ``object``, type variables and forward references name no class.
    """
    alias_type: Any = getattr(typing, "TypeAliasType", None)  # ``type X = A | B``, 3.12+
    while alias_type is not None and isinstance(argument, alias_type):
        argument = cast("Any", argument).__value__
    if typing.get_origin(argument) is typing.Annotated:
        argument = typing.get_args(argument)[0]
    union = typing.get_origin(argument) in (typing.Union, types.UnionType)
    members: tuple[object, ...] = typing.get_args(argument) if union else (argument,)
    return tuple(kind for kind in members if isinstance(kind, type) and kind not in (object, Any))


def substitute(annotation: object, mapping: Mapping[object, object]) -> object:
    """Return `annotation` with the type variables of `mapping` replaced by their values."""
    if isinstance(annotation, typing.TypeVar):
        return mapping.get(annotation, annotation)
    parameters: object = getattr(annotation, "__parameters__", ())
    if not isinstance(parameters, tuple) or not parameters:
        return annotation
    try:
        form: Any = annotation
        return form[tuple(mapping.get(p, p) for p in cast("tuple[object, ...]", parameters))]
    except TypeError:
        return annotation


def generic_event_argument(cls: type, base: type) -> object:
    """Return what `cls` gives `base`'s event type parameter through stdlib generics.

    Follows ``__orig_bases__`` through generic intermediate classes, substituting their
    type variables: ``class Base(EventSourcedAggregate[str, E], Generic[E])`` and then
    ``class Account(Base[Opened | Closed])`` declare ``Opened | Closed``. Returns ``None``
    when `cls` gives no argument of its own (it inherits what its bases declared).
    """
    return _through_bases(cls, base, {})


def _through_bases(cls: type, base: type, mapping: Mapping[object, object]) -> object:
    for declared in cls.__dict__.get("__orig_bases__", ()):
        origin = typing.get_origin(declared)
        if not isinstance(origin, type) or not issubclass(origin, base):
            continue
        arguments = tuple(substitute(a, mapping) for a in typing.get_args(declared))
        if origin is base:
            return arguments[1] if len(arguments) == 2 else None  # noqa: PLR2004
        parameters: tuple[object, ...] = getattr(origin, "__parameters__", ())
        found = _through_bases(origin, base, dict(zip(parameters, arguments, strict=False)))
        if found is not None:
            return found
    return None
