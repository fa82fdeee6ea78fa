"""The dispatcher port (async colour): what a handler needs to send follow-up messages."""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

from tactica.domain.request import Request

__all__ = ["AsyncDispatcher"]

T = TypeVar("T")


@runtime_checkable
class AsyncDispatcher(Protocol):
    """Dispatches commands and queries and publishes events: the bus, seen from a handler.

    `tactica.messaging.AsyncMessageBus` satisfies it. A handler parameter annotated with it
    receives the bus the handler runs on, so the handler can dispatch a follow-up command
    without depending on the bus class; a message it creates continues the chain of the one
    being handled (same correlation id, that message as its cause).
    """

    async def dispatch(self, message: Request[T]) -> T:
        """Run the handler of this command or query and return its result."""
        ...

    async def publish(self, event: object) -> None:
        """Run every handler of this event."""
        ...
