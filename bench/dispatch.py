"""Dispatch overhead: a trivial command through the sync bus vs calling its handler directly.

DESIGN.md's budget is an absolute one (at most 5 µs per dispatch with the default
middleware); the ns/op column shows it, the ratio shows what the bus adds to a bare call.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from bench.micro import Case
from tactica import Handlers, MessageBus
from tactica.dataclasses import Command
from tactica.messaging import LogCalls

__all__ = ["dispatch_cases"]


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
