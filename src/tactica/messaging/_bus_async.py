"""The message bus (async colour): dispatch commands and queries, publish events.

Built once in the composition root from `Handlers` and the dependencies handlers ask for.
While a handler runs, the bus sets the message context, so every message and event the
handler creates continues the chain: same correlation id, and the handled message's id as
causation.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal, TypeVar, cast, get_args

from tactica._acompat import async_accepts_coroutines
from tactica.domain.context import MESSAGE_CONTEXT, context_for
from tactica.domain.request import Request
from tactica.errors import ConfigurationError, EventHandlerError
from tactica.messaging._handlers import Handler, Handlers, coroutine_refused
from tactica.uow._unit_async import AsyncUnitOfWork

__all__ = ["AsyncMessageBus", "AsyncMiddleware", "AsyncNext", "EventFailures"]

T = TypeVar("T")

AsyncNext = Callable[[object], Awaitable[object]]
"""What a middleware calls to pass the message on, inwards."""

AsyncMiddleware = Callable[[object, AsyncNext], Awaitable[object]]
"""A callable around every dispatch and every event handler: ``(message, call_next)``."""

EventFailures = Literal["raise", "isolate"]
"""What an event handler's failure does: reach the publisher, or be logged and counted."""

_logger = logging.getLogger("tactica.messaging")


class _Bound:
    """A handler with its start-up dependencies filled and its unit-of-work slot found."""

    __slots__ = ("arguments", "function", "name", "uow_parameter")

    def __init__(
        self, handler: Handler, arguments: dict[str, object], uow_parameter: str | None
    ) -> None:
        self.function = handler.function
        self.name = handler.name
        self.arguments = arguments
        self.uow_parameter = uow_parameter


def _wants_unit_of_work(name: str, annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, AsyncUnitOfWork):
        return True
    return name == "uow" and annotation in (None, Any)


def _bind(
    handler: Handler, dependencies: Mapping[str, object], *, has_unit_of_work: bool
) -> _Bound:
    """Fill the parameters after the message from `dependencies`, or with a unit of work.

    A unit-of-work parameter gets a fresh one per call. Any other is matched by name first,
    then by its annotation when exactly one dependency is an instance of it. Anything
    unmatched without a default is a `ConfigurationError` now, at start-up, not at the
    first message.
    """
    parameters = list(inspect.signature(handler.function).parameters.values())[1:]
    try:
        hints = typing.get_type_hints(handler.function)
    except NameError:
        hints = {}
    arguments: dict[str, object] = {}
    uow_parameter: str | None = None
    for parameter in parameters:
        annotation = hints.get(parameter.name)
        if parameter.name not in dependencies and _wants_unit_of_work(parameter.name, annotation):
            if not has_unit_of_work:
                msg = (
                    f"handler {handler.name} takes a unit of work ({parameter.name!r}); build "
                    "the bus with unit_of_work=<a factory making a fresh one per message>"
                )
                raise ConfigurationError(msg)
            uow_parameter = parameter.name
            continue
        if parameter.name in dependencies:
            arguments[parameter.name] = dependencies[parameter.name]
            continue
        wanted = tuple(
            kind for kind in (annotation, *get_args(annotation)) if isinstance(kind, type)
        )
        matches = [value for value in dependencies.values() if wanted and isinstance(value, wanted)]
        if len(matches) == 1:
            arguments[parameter.name] = matches[0]
        elif parameter.default is inspect.Parameter.empty:
            found = "none" if not matches else f"{len(matches)}, which is ambiguous"
            msg = (
                f"handler {handler.name} needs {parameter.name!r} ({annotation!r}); the bus was "
                f"given no dependency of that name and {found} of that type; pass it in "
                "dependencies={...}"
            )
            raise ConfigurationError(msg)
    return _Bound(handler, arguments, uow_parameter)


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
        unit_of_work: Callable[[], AsyncUnitOfWork] | None = None,
        middleware: Sequence[AsyncMiddleware] = (),
        event_failures: EventFailures = "raise",
    ) -> None:
        """Check and bind every handler now, so wiring mistakes surface at start-up.

        `unit_of_work` makes a fresh unit of work for each handler call that takes one (a
        parameter named ``uow``, or annotated with a unit-of-work class). The events of
        what it committed are published when the handler returns.
        """
        if event_failures not in ("raise", "isolate"):
            msg = f"event_failures must be 'raise' or 'isolate', not {event_failures!r}"
            raise ConfigurationError(msg)
        self.dependencies = dict(dependencies or {})
        self._unit_of_work = unit_of_work
        for handler in (*handlers.requests, *handlers.events):
            if not async_accepts_coroutines and inspect.iscoroutinefunction(handler.function):
                raise coroutine_refused(handler)
        self._handlers = handlers
        self._request_calls = {
            handler.message_type: self._bind(handler) for handler in handlers.requests
        }
        # Bound now, so wiring mistakes fail at start-up; routed per event type on first use.
        # Like the command handlers, this is the registry as it was when the bus was built.
        self._bound_events = {handler: self._bind(handler) for handler in handlers.events}
        self._event_calls: dict[type, tuple[_Bound, ...]] = {}
        self._middleware = tuple(middleware)
        self._event_failures = event_failures
        self.isolated_failures = 0

    def _bind(self, handler: Handler) -> _Bound:
        return _bind(handler, self.dependencies, has_unit_of_work=self._unit_of_work is not None)

    async def dispatch(self, message: Request[T]) -> T:
        """Run the handler of this command or query and return its result."""
        call = self._request_calls.get(type(message))
        if call is None:
            self._handlers.handler_for(type(message))  # raises HandlerNotFoundError
        result = await self._call(message, cast("_Bound", call))
        return cast("T", result)

    async def publish(self, event: object) -> None:
        """Run every handler of this event, in registration order."""
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
        if call.uow_parameter is not None:
            uow = cast("Callable[[], AsyncUnitOfWork]", self._unit_of_work)()
            arguments = {**arguments, call.uow_parameter: uow}
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
        for event in events:
            try:
                await self.publish(event)
            except Exception as error:
                msg = (
                    f"{call.name} committed its changes, then handling the "
                    f"{type(event).__qualname__} event failed: {error!r}; the changes stay "
                    "committed"
                )
                raise EventHandlerError(msg) from error
