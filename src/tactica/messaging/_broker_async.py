"""The predicate event broker (async colour), for code written against dddkit's EventBroker.

Handlers subscribe with a predicate over the event (`instance_of` covers the usual case);
publishing runs every handler whose predicate matches, each once even when several of its
subscriptions match, in subscription order, or concurrently with ``parallel=True``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Literal

from tactica._acompat import async_accepts_coroutines, async_run_each
from tactica.domain.context import MESSAGE_CONTEXT, context_for
from tactica.errors import ConfigurationError, HandlerNotFoundError

__all__ = ["AsyncEventBroker", "Unmatched", "instance_of"]

Unmatched = Literal["ignore", "raise"]
"""What publishing an event that no subscription matches does."""

Predicate = Callable[[Any], bool]
AsyncEventHandler = Callable[[Any], Awaitable[object] | object]


def instance_of(*types: type) -> Predicate:
    """Return a predicate matching events that are instances of any of `types`."""
    if not types or not all(isinstance(kind, type) for kind in types):  # pyright: ignore[reportUnnecessaryIsInstance]
        msg = f"instance_of needs one or more classes, got {types!r}"
        raise ConfigurationError(msg)
    return partial(_is_instance, types)


def _is_instance(types: tuple[type, ...], event: object) -> bool:
    return isinstance(event, types)


class AsyncEventBroker:
    """Publishes events to the handlers whose predicates match them.

    Examples:
        >>> import asyncio
        >>> from tactica.dataclasses import DomainEvent
        >>> from tactica.messaging import AsyncEventBroker, instance_of
        >>> class Shipped(DomainEvent):
        ...     parcel: str
        >>> seen = []
        >>> broker = AsyncEventBroker()
        >>> broker.subscribe(instance_of(Shipped), lambda event: seen.append(event.parcel))
        >>> asyncio.run(broker.publish(Shipped(parcel="p-1")))
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
        self._subscriptions: list[tuple[Predicate, AsyncEventHandler]] = []

    def subscribe(self, predicate: Predicate, handler: AsyncEventHandler) -> None:
        """Run `handler` for every published event `predicate` accepts."""
        if not async_accepts_coroutines and inspect.iscoroutinefunction(handler):
            msg = f"{handler!r} is a coroutine function, which a sync broker cannot run"
            raise TypeError(msg)
        self._subscriptions.append((predicate, handler))

    def unsubscribe(self, predicate: Predicate, handler: AsyncEventHandler) -> None:
        """Remove that subscription; a pair never subscribed is a `LookupError`."""
        try:
            self._subscriptions.remove((predicate, handler))
        except ValueError:
            msg = f"{handler!r} is not subscribed with that predicate"
            raise LookupError(msg) from None

    def handlers_for(self, event: object) -> list[AsyncEventHandler]:
        """Return the handlers `event` goes to: subscription order, each handler once."""
        matched: list[AsyncEventHandler] = []
        for predicate, handler in self._subscriptions:
            if handler not in matched and predicate(event):
                matched.append(handler)
        return matched

    async def publish(self, event: object) -> None:
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
                outcomes = await async_run_each([partial(_call, h, event) for h in handlers])
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome
            else:
                for handler in handlers:
                    await _call(handler, event)
        finally:
            MESSAGE_CONTEXT.reset(token)


async def _call(handler: AsyncEventHandler, event: object) -> object:
    result = handler(event)
    if async_accepts_coroutines and inspect.isawaitable(result):
        result = await result
    return result
