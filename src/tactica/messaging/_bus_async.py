"""The message bus (async colour): dispatch commands and queries, publish events.

Built once in the composition root from `Handlers` and the dependencies handlers ask for.
While a handler runs, the bus sets the message context, so every message and event the
handler creates continues the chain: same correlation id, and the handled message's id as
causation.
"""

from __future__ import annotations

import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from functools import partial
from typing import Any, Literal, TypeVar, cast, get_args

from typing_extensions import is_protocol

from tactica._acompat import async_accepts_coroutines
from tactica.domain.context import MESSAGE_CONTEXT, context_for
from tactica.domain.request import Request
from tactica.errors import ConfigurationError, EventHandlerError
from tactica.messaging._handlers import Handler, Handlers, coroutine_refused, parameter_hints
from tactica.ports._unit_of_work_async import AsyncUnitOfWork

__all__ = ["AsyncMessageBus", "AsyncMiddleware", "AsyncNext", "EventFailures", "EventOrder"]

T = TypeVar("T")

AsyncNext = Callable[[object], Awaitable[object]]
"""What a middleware calls to pass the message on, inwards."""

AsyncMiddleware = Callable[[object, AsyncNext], Awaitable[object]]
"""A callable around every dispatch and every event handler: ``(message, call_next)``."""

EventFailures = Literal["raise", "isolate"]
"""What an event handler's failure does: reach the publisher, or be logged and counted."""

_logger = logging.getLogger("tactica.messaging")


_Factory = Callable[[], AsyncUnitOfWork]
"""What makes a fresh unit of work for one handler call."""

_Units = _Factory | Mapping[type, _Factory]
"""One factory for every handler, or one per bounded context keyed by its unit-of-work class."""

EventOrder = Literal["depth-first", "fifo"]
"""When the events a handler committed are handled: at once, or after those already queued."""

_BUS_NAMES = frozenset({"bus", "dispatcher"})

# The FIFO queue of the outermost dispatch or publish in progress, and the bus it belongs to.
_QUEUE: ContextVar[tuple[object, deque[tuple[object, str | None]]] | None] = ContextVar(
    "tactica_event_queue", default=None
)


class _Bound:
    """A handler with its start-up dependencies filled and its unit-of-work slot found."""

    __slots__ = ("arguments", "function", "name", "uow_factory", "uow_parameter")

    def __init__(
        self,
        handler: Handler,
        arguments: dict[str, object],
        uow_parameter: str | None,
        uow_factory: _Factory | None,
    ) -> None:
        self.function = handler.function
        self.name = handler.name
        self.arguments = arguments
        self.uow_parameter = uow_parameter
        self.uow_factory = uow_factory


def _named(annotation: object) -> str | None:
    """The bare class name of an annotation left unresolved, such as a TYPE_CHECKING import."""
    if isinstance(annotation, str) and annotation.replace(".", "").isidentifier():
        return annotation.rsplit(".", 1)[-1]
    return None


def _derives(kind: type, annotation: object) -> bool | None:
    """Whether `kind` is `annotation` or a subclass of it; None when that cannot be told."""
    name = _named(annotation)
    if name is not None:
        return kind.__name__ == name
    if not isinstance(annotation, type):
        return None
    if is_protocol(annotation) and not getattr(annotation, "_is_runtime_protocol", False):
        return None  # a static protocol: only the type checker can tell
    try:
        return issubclass(kind, annotation)
    except TypeError:  # a runtime protocol with data members
        return None


def _of_type(dependencies: Mapping[str, object], annotation: object) -> list[object]:
    """The dependencies that are instances of `annotation` (or of a member of its union)."""
    kinds = [annotation] if _named(annotation) else [annotation, *get_args(annotation)]
    return [
        value
        for value in dependencies.values()
        if any(_derives(type(value), kind) for kind in kinds)
    ]


class _Wiring:
    """What a bus gives handlers: dependencies, itself, units of work from their factories."""

    __slots__ = ("bus", "by_class", "dependencies", "factory", "given")

    def __init__(
        self, bus: AsyncMessageBus, dependencies: Mapping[str, object], units: _Units | None
    ) -> None:
        self.bus = bus
        self.dependencies = dependencies
        self.given = units is not None
        self.factory: _Factory | None = None
        self.by_class: dict[type, _Factory] = {}
        if callable(units):
            self.factory = units
        elif units is not None:
            self.by_class = dict(units)

    def wants_bus(self, name: str, annotation: object) -> bool:
        # A static protocol (the application's own dispatcher port) cannot be checked: the
        # parameter's name decides, as for an unannotated one.
        if annotation not in (None, Any, object):
            verdict = _derives(AsyncMessageBus, annotation)
            if verdict is not None:
                return verdict
        return name in _BUS_NAMES

    def wants_unit_of_work(self, handler: Handler, name: str, annotation: object) -> bool:
        if isinstance(annotation, type) and _derives(annotation, AsyncUnitOfWork):
            return True
        classes = [*self.by_class, *([handler.unit_of_work] if handler.unit_of_work else [])]
        if annotation is not object and any(_derives(kind, annotation) for kind in classes):
            return True
        return name == "uow" and not _of_type(self.dependencies, annotation)

    def factory_for(self, handler: Handler, name: str, annotation: object) -> _Factory:
        """The factory of `handler`'s context: declared by its registry, or by its annotation."""
        if not self.given:
            msg = (
                f"handler {handler.name} takes a unit of work ({name!r}); build the bus with "
                "unit_of_work=<a factory making a fresh one per message>"
            )
            raise ConfigurationError(msg)
        if self.factory is not None:
            return self.factory
        known = ", ".join(kind.__qualname__ for kind in self.by_class) or "none"
        if handler.unit_of_work is not None:
            factory = self.by_class.get(handler.unit_of_work)
            if factory is None:
                msg = (
                    f"handler {handler.name} belongs to the context of "
                    f"{handler.unit_of_work.__qualname__}, which unit_of_work={{...}} has no "
                    f"factory for (it has {known})"
                )
                raise ConfigurationError(msg)
            return factory
        exact = [annotation] if isinstance(annotation, type) and annotation in self.by_class else []
        fitting = exact or [
            kind for kind in self.by_class if _derives(kind, annotation) is not False
        ]
        if len(fitting) == 1:
            return self.by_class[fitting[0]]
        found = "none" if not fitting else ", ".join(kind.__qualname__ for kind in fitting)
        msg = (
            f"handler {handler.name} takes a unit of work ({name!r}: {annotation!r}) and the "
            f"bus's unit_of_work={{...}} has {'no factory' if not fitting else 'several'} "
            f"for it ({found}; it has {known}); annotate it with its context's class or "
            "register it in Handlers(unit_of_work=<that class>)"
        )
        raise ConfigurationError(msg)

    def bind(self, handler: Handler) -> _Bound:
        """Fill the parameters after the message: dependency, bus, or a unit of work.

        By name first; then the bus itself for a parameter annotated with the bus class
        (or named ``bus`` or ``dispatcher``); then a unit-of-work slot, filled afresh per
        call; then by annotation when exactly one dependency is an instance of it. Anything
        unmatched without a default is a `ConfigurationError` now, at start-up, not at the
        first message.
        """
        parameters = list(inspect.signature(handler.function).parameters.values())[1:]
        hints = parameter_hints(handler.function)
        arguments: dict[str, object] = {}
        uow_parameter: str | None = None
        uow_factory: _Factory | None = None
        for parameter in parameters:
            annotation = hints.get(parameter.name)
            if parameter.name in self.dependencies:
                arguments[parameter.name] = self.dependencies[parameter.name]
                continue
            if self.wants_bus(parameter.name, annotation):
                arguments[parameter.name] = self.bus
                continue
            if self.wants_unit_of_work(handler, parameter.name, annotation):
                uow_factory = self.factory_for(handler, parameter.name, annotation)
                uow_parameter = parameter.name
                continue
            matches = _of_type(self.dependencies, annotation)
            if len(matches) == 1:
                arguments[parameter.name] = matches[0]
            elif parameter.default is inspect.Parameter.empty:
                found = "none" if not matches else f"{len(matches)}, which is ambiguous"
                msg = (
                    f"handler {handler.name} needs {parameter.name!r} ({annotation!r}); the bus "
                    f"was given no dependency of that name and {found} of that type; pass it in "
                    "dependencies={...}"
                )
                raise ConfigurationError(msg)
        return _Bound(handler, arguments, uow_parameter, uow_factory)


class AsyncMessageBus:
    """Dispatches commands and queries to their handler and publishes events to theirs.

    `dispatch` runs the one handler of a command or query and returns its result, typed by
    the message's ``TResult``. `publish` runs every handler of an event, in registration
    order; with ``event_failures="isolate"`` a failing event handler is logged and counted
    (`isolated_failures`) and the others still run. Middleware wraps every handler call,
    the first listed outermost, and may short-circuit by not calling ``call_next``.

    Handlers may be plain functions; coroutine functions only on the async bus, where
    the sync bus refuses them when it is built.

    Examples:
        >>> import asyncio
        >>> from tactica.dataclasses import Command
        >>> from tactica.messaging import AsyncMessageBus, Handlers
        >>> class Greet(Command[str]):
        ...     name: str
        >>> handlers = Handlers()
        >>> @handlers.command(message_type=Greet)
        ... async def greet(command: Greet, greeting: str) -> str:
        ...     return f"{greeting} {command.name}"
        >>> bus = AsyncMessageBus(handlers, dependencies={"greeting": "hello"})
        >>> asyncio.run(bus.dispatch(Greet(name="Ada")))
        'hello Ada'
    """

    __slots__ = (
        "_bound_events",
        "_event_calls",
        "_event_failures",
        "_event_order",
        "_handlers",
        "_middleware",
        "_request_calls",
        "_unit_of_work",
        "dependencies",
        "isolated_failures",
    )

    def __init__(
        self,
        handlers: Handlers,
        *,
        dependencies: Mapping[str, object] | None = None,
        unit_of_work: _Units | None = None,
        middleware: Sequence[AsyncMiddleware] = (),
        event_failures: EventFailures = "raise",
        event_order: EventOrder = "depth-first",
    ) -> None:
        """Check and bind every handler now, so wiring mistakes surface at start-up.

        `unit_of_work` makes a fresh unit of work for each handler call that takes one (a
        parameter named ``uow``, or annotated with a unit-of-work class). Give one factory
        for every handler, or a mapping ``{UnitOfWorkClass: factory}`` with one per bounded
        context: a handler then gets its units of work from the factory of the class its
        registry declares (``Handlers(unit_of_work=...)``), or else of the one class that
        is, or derives from, its parameter's annotation. The events of what it committed
        are published when the handler returns.

        `event_order` says when those events are handled. ``"depth-first"`` (the default):
        at once, before the handler's call returns, so the handlers of an event's own
        events run before the next event of the same commit. ``"fifo"``: as Cosmic
        Python's message bus does, they join a queue that the outermost `dispatch` or
        `publish` works through, in order, after its handler returned; an event raised
        while handling is handled after those already waiting. When a handler fails and
        ``event_failures="raise"``, the events still queued are not handled.

        A handler parameter annotated with the bus class or the `tactica.ports.AsyncDispatcher`
        port, or named ``bus`` or ``dispatcher``, receives this bus, to dispatch follow-up
        commands: they continue the correlation of the message being handled, which becomes
        their cause.
        """
        if event_failures not in ("raise", "isolate"):
            msg = f"event_failures must be 'raise' or 'isolate', not {event_failures!r}"
            raise ConfigurationError(msg)
        if event_order not in ("depth-first", "fifo"):
            msg = f"event_order must be 'depth-first' or 'fifo', not {event_order!r}"
            raise ConfigurationError(msg)
        self.dependencies = dict(dependencies or {})
        self._unit_of_work = unit_of_work
        for handler in (*handlers.requests, *handlers.events):
            if not async_accepts_coroutines and inspect.iscoroutinefunction(handler.function):
                raise coroutine_refused(handler)
        self._handlers = handlers
        wiring = _Wiring(self, self.dependencies, unit_of_work)
        self._request_calls = {
            handler.message_type: wiring.bind(handler) for handler in handlers.requests
        }
        # Bound now, so wiring mistakes fail at start-up; routed per event type on first use.
        # Like the command handlers, this is the registry as it was when the bus was built.
        self._bound_events = {handler: wiring.bind(handler) for handler in handlers.events}
        self._event_calls: dict[type, tuple[_Bound, ...]] = {}
        self._middleware = tuple(middleware)
        self._event_failures = event_failures
        self._event_order = event_order
        self.isolated_failures = 0

    async def dispatch(self, message: Request[T]) -> T:
        """Run the handler of this command or query and return its result.

        With ``event_order="fifo"``, the outermost dispatch handles the queued events
        before it returns; one made from inside a handler leaves them to it.
        """
        call = self._request_calls.get(type(message))
        if call is None:
            self._handlers.handler_for(type(message))  # raises HandlerNotFoundError
        bound = cast("_Bound", call)
        queue = self._new_queue()
        if queue is None:
            return cast("T", await self._call(message, bound))
        token = _QUEUE.set((self, queue))
        try:
            result = await self._call(message, bound)
            await self._drain(queue)
        finally:
            _QUEUE.reset(token)
        return cast("T", result)

    async def publish(self, event: object) -> None:
        """Run every handler of this event, in registration order.

        With ``event_order="fifo"``, an event published from inside a handler joins the
        queue instead, and is handled after the events already waiting.
        """
        active = _QUEUE.get()
        if self._event_order == "fifo" and active is not None and active[0] is self:
            active[1].append((event, None))
            return
        queue = self._new_queue()
        if queue is None:
            await self._handle_event(event)
            return
        token = _QUEUE.set((self, queue))
        try:
            await self._handle_event(event)
            await self._drain(queue)
        finally:
            _QUEUE.reset(token)

    def _new_queue(self) -> deque[tuple[object, str | None]] | None:
        """A queue for an outermost FIFO call; None for depth-first or a call inside one."""
        if self._event_order != "fifo":
            return None
        active = _QUEUE.get()
        return None if active is not None and active[0] is self else deque()

    async def _drain(self, queue: deque[tuple[object, str | None]]) -> None:
        while queue:
            event, committed_by = queue.popleft()
            if committed_by is None:
                await self._handle_event(event)
                continue
            try:
                await self._handle_event(event)
            except Exception as error:
                raise _after_commit(committed_by, event, error) from error

    async def _handle_event(self, event: object) -> None:
        calls = self._event_calls.get(type(event))
        if calls is None:
            calls = self._event_calls[type(event)] = tuple(
                bound
                for handler, bound in self._bound_events.items()
                if handler.accepts(type(event))
            )
        for call in calls:
            try:
                await self._call(event, call)
            except Exception:
                if self._event_failures == "raise":
                    raise
                self.isolated_failures += 1
                _logger.exception(
                    "event handler %s failed and was isolated",
                    call.name,
                    extra={"event_type": type(event).__qualname__},
                )

    async def _call(self, message: object, call: _Bound) -> object:
        if not self._middleware:
            return await self._run(call, message)
        return await self._through(0, partial(self._run, call), message)

    async def _through(self, index: int, innermost: AsyncNext, message: object) -> object:
        if index == len(self._middleware):
            return await innermost(message)
        return await self._middleware[index](message, partial(self._through, index + 1, innermost))

    async def _run(self, call: _Bound, message: object) -> object:
        arguments = call.arguments
        uow: AsyncUnitOfWork | None = None
        if call.uow_factory is not None:
            uow = call.uow_factory()
            arguments = {**arguments, cast("str", call.uow_parameter): uow}
        token = MESSAGE_CONTEXT.set(context_for(message))
        try:
            result = call.function(message, **arguments)
            if async_accepts_coroutines and inspect.isawaitable(result):
                result = await result
        finally:
            MESSAGE_CONTEXT.reset(token)
        if uow is not None:
            await self._publish_committed(uow.collect_events(), call)
        return cast("object", result)

    async def _publish_committed(self, events: list[Any], call: _Bound) -> None:
        active = _QUEUE.get()
        if self._event_order == "fifo" and active is not None and active[0] is self:
            active[1].extend((event, call.name) for event in events)
            return
        for event in events:
            try:
                await self.publish(event)
            except Exception as error:
                raise _after_commit(call.name, event, error) from error


def _after_commit(committed_by: str, event: object, error: Exception) -> EventHandlerError:
    msg = (
        f"{committed_by} committed its changes, then handling the "
        f"{type(event).__qualname__} event failed: {error!r}; the changes stay committed"
    )
    return EventHandlerError(msg)
