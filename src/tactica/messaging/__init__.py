"""Commands, queries and events on their way to handlers: the registry and the buses.

`Handlers` records which function handles which message; `MessageBus` and
`AsyncMessageBus`, built from handlers and dependencies in your composition root, dispatch
commands and queries (one handler, a typed result) and publish events (every handler).
The message classes themselves come from a flavour: ``tactica.dataclasses.Command`` or
``tactica.pydantic.Command``, and ``Query`` likewise.
"""

from tactica.messaging._bus_async import AsyncMessageBus, AsyncMiddleware, AsyncNext, EventFailures
from tactica.messaging._bus_sync import MessageBus, Middleware, Next
from tactica.messaging._handlers import Handler, Handlers
from tactica.messaging._request import CommandMessage, QueryMessage, Request

__all__ = [
    "AsyncMessageBus",
    "AsyncMiddleware",
    "AsyncNext",
    "CommandMessage",
    "EventFailures",
    "Handler",
    "Handlers",
    "MessageBus",
    "Middleware",
    "Next",
    "QueryMessage",
    "Request",
]
