"""Dispatch overhead: a trivial command through tactica's buses, against a bare call and a peer.

DESIGN.md's budget is an absolute one (at most 5 µs per dispatch with the default
middleware); the ns/op column shows it, the ratio shows what the bus adds to a bare call.

The peer rows put the async bus next to python-cqrs, whose mediator is async only. Both
sides are driven the same way: each iteration of a batch awaits one dispatch directly, in
one coroutine on an event loop that is already running (`AsyncBatch`), so neither pays a
loop start or a task per call. Both get the same trivial command (one int field, no
result) and a coroutine handler that reads the field; neither publishes an event.

- No middleware on either side: tactica's bare `AsyncMessageBus` against python-cqrs's
  `RequestMediator` as its ``setup_mediator`` builds it with an empty middleware list.
  python-cqrs resolves a fresh handler instance per request through its container
  (``di``, the one its ``bootstrap`` wraps), which is part of its design, so it is counted.
- A stricter reference: python-cqrs with a container that hands back one prebuilt handler,
  the least its mediator can do per request.
- Call logging on both sides, as each library ships it: tactica's `AsyncLogCalls` against
  python-cqrs's ``bootstrap`` defaults, which always add its `LoggingMiddleware`. Both
  libraries' loggers are set to WARNING for these rows, so DEBUG is off on both: importing
  python-cqrs sets its ``cqrs`` logger to DEBUG, and left so it would build (and, with no
  handler configured, drop) two log records per request, which measures a logging setting
  rather than the middleware.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial
from typing import Any, TypeVar

import cqrs
import di
from cqrs.bootstrap.requests import bootstrap, setup_event_emitter, setup_mediator
from cqrs.container.di import DIContainer

from bench._timing import AsyncBatch
from bench.micro import Case
from tactica import Handlers, MessageBus
from tactica.dataclasses import Command
from tactica.messaging import AsyncLogCalls, AsyncMessageBus, LogCalls

__all__ = ["dispatch_cases", "peer_cases"]

T = TypeVar("T")


class Ping(Command[int], name="bench.ping"):
    n: int


def _ping(command: Ping) -> int:
    return command.n


def dispatch_cases() -> Iterator[Case]:
    """Yield the bus rows: bare bus, and bus with call logging (no handler built per call)."""
    handlers = Handlers()
    handlers.command(message_type=Ping)(_ping)
    command = Ping(n=1)
    direct = partial(_ping, command)
    bare = MessageBus(handlers)
    yield Case("dispatch", partial(bare.dispatch, command), "direct call", direct, None)
    logged = MessageBus(handlers, middleware=[LogCalls()])
    yield Case(
        "dispatch + LogCalls", partial(logged.dispatch, command), "direct call", direct, None
    )


class Touch(Command[None], name="bench.touch"):
    n: int


async def _touch(command: Touch) -> None:
    command.n  # noqa: B018 - the handler's whole work is reading its field, as on the peer


class PeerTouch(cqrs.Request[None]):
    n: int


class PeerTouchHandler(cqrs.RequestHandler[PeerTouch, None]):
    async def handle(self, request: PeerTouch) -> None:
        request.n  # noqa: B018 - the same work as tactica's handler


class _Prebuilt:
    """A python-cqrs container that returns one handler made up front, whatever it is asked."""

    def __init__(self, handler: object) -> None:
        self._handler = handler

    @property
    def external_container(self) -> None:
        return None

    def attach_external_container(self, container: object) -> None:
        pass

    async def resolve(self, type_: type[T]) -> T:  # noqa: ARG002 - one handler for every type
        handler: Any = self._handler
        return handler  # type: ignore[no-any-return]


def _bind_touch(mapper: cqrs.RequestMap) -> None:
    mapper.bind(PeerTouch, PeerTouchHandler)


def _mediator(container: Any) -> cqrs.RequestMediator:
    return setup_mediator(
        setup_event_emitter(container), container, middlewares=[], commands_mapper=_bind_touch
    )


def peer_cases(resources: ExitStack) -> Iterator[Case]:
    """Yield the async bus against python-cqrs's mediator; `resources` closes the loop."""
    batch = AsyncBatch(resources.enter_context(asyncio.Runner()))
    handlers = Handlers()
    handlers.command(message_type=Touch)(_touch)
    ours = Touch(n=1)
    theirs = PeerTouch(n=1)

    bare = partial(AsyncMessageBus(handlers).dispatch, ours)
    container = DIContainer()
    container.attach_external_container(di.Container())
    send = partial(_mediator(container).send, theirs)
    yield Case("async dispatch", bare, "python-cqrs send, no middleware", send, None, batch=batch)
    prebuilt = partial(_mediator(_Prebuilt(PeerTouchHandler())).send, theirs)
    yield Case(
        "async dispatch",
        bare,
        "python-cqrs, handler prebuilt",
        prebuilt,
        None,
        reference=True,
        batch=batch,
    )

    for name in ("cqrs", "tactica.messaging"):
        logger = logging.getLogger(name)
        resources.callback(logger.setLevel, logger.level)
        logger.setLevel(logging.WARNING)
    logged = partial(AsyncMessageBus(handlers, middleware=[AsyncLogCalls()]).dispatch, ours)
    defaults = partial(bootstrap(di.Container(), commands_mapper=_bind_touch).send, theirs)
    yield Case(
        "async dispatch + LogCalls",
        logged,
        "python-cqrs bootstrap (logging)",
        defaults,
        None,
        batch=batch,
    )
