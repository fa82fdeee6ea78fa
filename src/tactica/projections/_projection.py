"""Projections as declarations: which handler turns which event type into read-model changes.

PURE: a projection names itself and maps event classes to handlers; runners (either
colour) decide when and in which transaction the handlers run.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, TypeVar, overload

from tactica.errors import ConfigurationError, HandlerColourError
from tactica.ports._projection_like import ProjectionLike
from tactica.ports._projection_records import checked_projection_name

__all__ = [
    "FunctionProjection",
    "Host",
    "Projection",
    "ProjectionLike",
    "checked_handlers",
    "handler_colour_refused",
    "handles",
    "is_async_handler",
    "projection",
]

F = TypeVar("F", bound=Callable[..., Any])

_HANDLED = "__tactica_handles__"


def _event_types_of(function: Callable[..., Any], *, method: bool) -> tuple[type, ...]:
    """Read the event class(es) from the annotation of the handler's event parameter."""
    parameters = list(inspect.signature(function).parameters.values())[1 if method else 0 :]
    name = getattr(function, "__qualname__", repr(function))
    if not parameters:
        msg = f"projection handler {name} takes no event parameter"
        raise ConfigurationError(msg)
    try:
        annotation = typing.get_type_hints(function).get(parameters[0].name)
    except NameError as error:
        msg = (
            f"cannot read the event class of projection handler {name}: {error}; define the "
            "event class at module level or name it, @handles(EventClass)"
        )
        raise ConfigurationError(msg) from error
    members = (
        typing.get_args(annotation)
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
        else (annotation,)
    )
    if not members or not all(isinstance(member, type) for member in members):
        msg = (
            f"projection handler {name}: annotate its event parameter with the event class "
            f"(or a union of them), got {annotation!r}; or name them, @handles(EventClass)"
        )
        raise ConfigurationError(msg)
    return tuple(typing.cast("type", member) for member in members)


# Classes first: a class is callable too, so the function overload would take it.
@overload
def handles(*event_types: type) -> Callable[[F], F]: ...
@overload
def handles(function: F, /) -> F: ...
def handles(*arguments: Any) -> Any:
    """Mark a method of a `Projection` as the handler of its event class(es).

    Bare, the classes come from the annotation of the event parameter (a union names
    several); or name them, ``@handles(Shipped, Returned)``. The handler takes the decoded
    event and the transaction its read-model changes go into.
    """
    if len(arguments) == 1 and callable(arguments[0]) and not isinstance(arguments[0], type):
        function = arguments[0]
        setattr(function, _HANDLED, None)
        return function
    if not arguments or not all(isinstance(argument, type) for argument in arguments):
        msg = f"@handles takes event classes, or decorates a method bare; got {arguments!r}"
        raise ConfigurationError(msg)

    def mark(function: F) -> F:
        setattr(function, _HANDLED, tuple(arguments))
        return function

    return mark


def _add(found: dict[type, Any], event_types: tuple[type, ...], handler: Any, owner: str) -> None:
    for event_type in event_types:
        if event_type in found:
            msg = f"projection {owner} has two handlers for {event_type.__qualname__}"
            raise ConfigurationError(msg)
        found[event_type] = handler


class Projection:
    """A projection declared as a class: a `name`, and methods marked with `handles`.

    Each handler takes the event and the transaction of its batch, in which it writes the
    read model (``await tx.put(...)`` in the async colour); the runner writes the checkpoint
    in that same transaction, so an event has exactly one effect even if the process dies.

    Examples:
        >>> from tactica.dataclasses import DomainEvent
        >>> from tactica.projections import Projection, handles
        >>> class Deposited(DomainEvent):
        ...     account: str
        ...     amount: int
        >>> class Balances(Projection):
        ...     name = "balances"
        ...
        ...     @handles(Deposited)
        ...     def deposited(self, event: Deposited, tx: object) -> None: ...
        >>> list(Balances().handlers()) == [Deposited]
        True
    """

    name: ClassVar[str]
    _handled: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls, **options: Any) -> None:
        """Collect the handler methods and check the projection's name."""
        super().__init_subclass__(**options)
        if "name" in cls.__dict__:
            checked_projection_name(cls.__dict__["name"])
        found: dict[type, str] = dict(cls._handled)
        own: dict[type, Any] = {}
        for attribute, member in cls.__dict__.items():
            if not hasattr(member, _HANDLED):
                continue
            named = getattr(member, _HANDLED)
            event_types = named if named is not None else _event_types_of(member, method=True)
            _add(own, event_types, attribute, cls.__qualname__)
        found.update(own)
        cls._handled = found

    def handlers(self) -> dict[type, Callable[[Any, Any], object]]:
        """Return this projection's bound handler of each event class."""
        if not hasattr(type(self), "name"):
            msg = f"projection {type(self).__qualname__} has no name; set name = '...' on it"
            raise ConfigurationError(msg)
        return {event_type: getattr(self, method) for event_type, method in self._handled.items()}


class FunctionProjection:
    """A projection declared as functions registered on it; see `projection`."""

    def __init__(self, name: str) -> None:
        """Name the projection (its checkpoint, lease and read models are kept under it)."""
        self.name = checked_projection_name(name)
        self._handlers: dict[type, Callable[[Any, Any], object]] = {}

    @overload
    def handles(self, *event_types: type) -> Callable[[F], F]: ...
    @overload
    def handles(self, function: F, /) -> F: ...
    def handles(self, *arguments: Any) -> Any:
        """Register a function as the handler of its event class(es), as `handles` does."""
        if len(arguments) == 1 and callable(arguments[0]) and not isinstance(arguments[0], type):
            function = arguments[0]
            _add(self._handlers, _event_types_of(function, method=False), function, self.name)
            return function
        handles(*arguments)  # checks the classes, as the bare decorator does

        def register(function: F) -> F:
            # Registered here, not marked: a bound method takes no new attribute.
            _add(self._handlers, tuple(arguments), function, self.name)
            return function

        return register

    def handlers(self) -> dict[type, Callable[[Any, Any], object]]:
        """Return the registered handler of each event class."""
        return dict(self._handlers)


def projection(name: str) -> FunctionProjection:
    """Return an empty projection named `name`, to register handler functions on.

    Examples:
        >>> from tactica.dataclasses import DomainEvent
        >>> from tactica.projections import projection
        >>> class Deposited(DomainEvent):
        ...     account: str
        ...     amount: int
        >>> balances = projection("balances")
        >>> @balances.handles(Deposited)
        ... def deposited(event: Deposited, tx: object) -> None: ...
        >>> list(balances.handlers()) == [Deposited]
        True
    """
    return FunctionProjection(name)


Host = Literal["runner", "unit of work"]
"""What runs a projection's handlers: a subscription runner, or a unit of work (inline)."""

_ASYNC_HOSTS = {
    "runner": "AsyncProjectionRunner",
    "unit of work": (
        "an async unit of work (AsyncSQLiteUnitOfWork, AsyncPostgresUnitOfWork, "
        "AsyncSQLAlchemyUnitOfWork)"
    ),
}
_SYNC_HOSTS = {
    "runner": "ProjectionRunner",
    "unit of work": (
        "a sync unit of work (SQLiteUnitOfWork, PostgresUnitOfWork, SQLAlchemyUnitOfWork)"
    ),
}


def is_async_handler(handler: object) -> bool:
    """Return whether calling `handler` gives a coroutine or an async generator.

    ``async def`` functions and methods, partials of them, and objects whose
    ``__call__`` is one; also functions marked with ``inspect.markcoroutinefunction``.
    """
    return _is(handler, inspect.iscoroutinefunction) or _is(handler, inspect.isasyncgenfunction)


def _is(handler: object, test: Callable[[object], bool]) -> bool:
    call = getattr(type(handler), "__call__", None)  # noqa: B004 - the class's, not the object's
    return test(handler) or test(call)


def checked_handlers(
    projection: ProjectionLike, *, awaits: bool, host: Host
) -> Mapping[type, Callable[[Any, Any], object]]:
    """Return `projection`'s handlers once each is of the colour its host runs.

    A sync host cannot await an ``async def`` handler; an async host's transaction has
    coroutine methods, so a plain function's ``tx.put(...)`` would never run and its
    writes would be lost without an error. Raises `HandlerColourError` naming the
    projection, the handler and what to do, before anything runs.
    """
    handlers = projection.handlers()
    for handler in handlers.values():
        # An async host awaits what a handler returns: an async generator is not awaitable.
        right = (
            _is(handler, inspect.iscoroutinefunction) if awaits else not is_async_handler(handler)
        )
        if not right:
            raise handler_colour_refused(projection.name, handler, awaits=awaits, host=host)
    return handlers


def handler_colour_refused(
    projection: str, handler: object, *, awaits: bool, host: Host
) -> HandlerColourError:
    """Return the error for a handler of the wrong colour for its host.

    Kept out of the runner and unit-of-work modules, whose sync twins are generated by
    renaming: the advice must keep naming the other colour.
    """
    name = getattr(handler, "__qualname__", None) or repr(handler)
    if not awaits:
        return HandlerColourError(
            f"projection {projection!r}: handler {name} is an async def, which "
            f"{_SYNC_HOSTS[host]} cannot run; use {_ASYNC_HOSTS[host]}, or make the handler "
            "a plain function"
        )
    kind = "an async generator" if _is(handler, inspect.isasyncgenfunction) else "not an async def"
    return HandlerColourError(
        f"projection {projection!r}: handler {name} is {kind}, but "
        f"{_ASYNC_HOSTS[host]} gives it a transaction whose get, put, delete and documents "
        "are coroutines, to await: its writes would never run, and be lost without an error. "
        f"Make it an async def that awaits them (await tx.put(...)), or use {_SYNC_HOSTS[host]}"
    )
