"""Turning an aggregate's recorded events into persistence instructions, one handler per type.

For code that stores aggregates by their changes rather than their state (an INSERT per
``OrderLineAdded``, say), as dddkit's ``ChangesHandler`` does. PURE: it returns what the
handlers return and leaves executing it to the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from tactica.errors import HandlerNotFoundError

__all__ = ["ChangesHandler"]

T = TypeVar("T")


class ChangesHandler(Generic[T]):
    """Maps each event type to a function that turns such an event into an instruction.

    Examples:
        >>> from tactica.dataclasses import DomainEvent
        >>> from tactica.messaging import ChangesHandler
        >>> class LineAdded(DomainEvent):
        ...     sku: str
        >>> changes = ChangesHandler({LineAdded: lambda e: ("INSERT INTO lines VALUES (?)", e.sku)})
        >>> changes.instructions([LineAdded(sku="chair")])
        [('INSERT INTO lines VALUES (?)', 'chair')]
    """

    __slots__ = ("_handlers", "ignore_unhandled")

    def __init__(
        self,
        handlers: Mapping[type, Callable[[Any], T]],
        *,
        ignore_unhandled: bool = False,
    ) -> None:
        """Use `handlers`; an event of another type is an error unless `ignore_unhandled`."""
        self._handlers = dict(handlers)
        self.ignore_unhandled = ignore_unhandled

    def instructions(self, events: Iterable[object]) -> list[T]:
        """Return one instruction per event, in event order.

        An event whose exact type has no handler raises `HandlerNotFoundError` (before any
        instruction is returned), or is skipped with ``ignore_unhandled=True``.
        """
        events = list(events)
        if not self.ignore_unhandled:
            for event in events:
                if type(event) not in self._handlers:
                    msg = (
                        f"no change handler for {type(event).__qualname__}; add one, or build "
                        "the ChangesHandler with ignore_unhandled=True"
                    )
                    raise HandlerNotFoundError(msg)
        return [
            self._handlers[type(event)](event) for event in events if type(event) in self._handlers
        ]
