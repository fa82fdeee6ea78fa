# Generated from _broker_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The predicate event broker (sync colour), for code written against dddkit's EventBroker.

Handlers subscribe with a predicate over the event (`instance_of` covers the usual case);
publishing runs every handler whose predicate matches, each once even when several of its
subscriptions match, in subscription order, or concurrently with ``parallel=True``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

from tactica._acompat import accepts_coroutines, run_each
from tactica.domain.context import MESSAGE_CONTEXT, context_for
from tactica.errors import ConfigurationError, HandlerNotFoundError

__all__ = ["EventBroker", "Unmatched", "instance_of"]

Unmatched = Literal["ignore", "raise"]
"""What publishing an event that no subscription matches does."""

Predicate = Callable[[Any], bool]
EventHandler = Callable[[Any], object | object]


def instance_of(*types: type) -> Predicate:
    """Return a predicate matching events that are instances of any of `types`."""
    if not types or not all(isinstance(kind, type) for kind in types):  # pyright: ignore[reportUnnecessaryIsInstance]
        msg = f"instance_of needs one or more classes, got {types!r}"
        raise ConfigurationError(msg)
    return partial(_is_instance, types)


def _is_instance(types: tuple[type, ...], event: object) -> bool:
    return isinstance(event, types)


class EventBroker:
    """Publishes events to the handlers whose predicates match them.

    Examples:
        >>> from tactica.dataclasses import DomainEvent
        >>> from tactica.messaging import EventBroker, instance_of
        >>> class Shipped(DomainEvent):
        ...     parcel: str
        >>> seen = []
        >>> broker = EventBroker()
        >>> broker.subscribe(instance_of(Shipped), lambda event: seen.append(event.parcel))
        >>> broker.publish(Shipped(parcel="p-1"))
        >>> seen
        ['p-1']
    """

    __slots__ = ("_subscriptions", "on_unmatched", "parallel")

    def __init__(self, *, parallel: bool = False, on_unmatched: Unmatched = "ignore") -> None:
        """Create a broker; `parallel` runs matching handlers concurrently."""
        if on_unmatched not in ("ignore", "raise"):
            msg = f"on_unmatched must be 'ignore' or 'raise', not {on_unmatched!r}"
            raise ConfigurationError(msg)
        self.parallel = parallel
        self.on_unmatched = on_unmatched
        self._subscriptions: list[tuple[Predicate, EventHandler]] = []

    def subscribe(self, predicate: Predicate, handler: EventHandler) -> None:
        """Run `handler` for every published event `predicate` accepts."""
        if not accepts_coroutines and inspect.iscoroutinefunction(handler):
            msg = f"{handler!r} is a coroutine function, which a sync broker cannot run"
            raise TypeError(msg)
        self._subscriptions.append((predicate, handler))

    def unsubscribe(self, predicate: Predicate, handler: EventHandler) -> None:
        """Remove that subscription; a pair never subscribed is a `LookupError`."""
        try:
            self._subscriptions.remove((predicate, handler))
        except ValueError:
            msg = f"{handler!r} is not subscribed with that predicate"
            raise LookupError(msg) from None

    def handlers_for(self, event: object) -> list[EventHandler]:
        """Return the handlers `event` goes to: subscription order, each handler once."""
        matched: list[EventHandler] = []
        for predicate, handler in self._subscriptions:
            if handler not in matched and predicate(event):
                matched.append(handler)
        return matched

    def publish(self, event: object) -> None:
        """Run every matching handler inside the event's message context.

        In parallel mode every handler runs even if one fails; the first failure is then
        raised. Sequentially, a failure stops the handlers after it.
        """
        handlers = self.handlers_for(event)
        if not handlers and self.on_unmatched == "raise":
            msg = f"no subscription matches {type(event).__qualname__}"
            raise HandlerNotFoundError(msg)
        token = MESSAGE_CONTEXT.set(context_for(event))
        try:
            if self.parallel:
                outcomes = run_each([partial(_call, h, event) for h in handlers])
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome
            else:
                for handler in handlers:
                    _call(handler, event)
        finally:
            MESSAGE_CONTEXT.reset(token)


def _call(handler: EventHandler, event: object) -> object:
    result = handler(event)
    if accepts_coroutines and inspect.isawaitable(result):
        result = result
    return result
