"""Commands, queries and events on their way to handlers: the registry and the buses.

`Handlers` records which function handles which message; `MessageBus` and
`AsyncMessageBus`, built from handlers and dependencies in your composition root, dispatch
commands and queries (one handler, a typed result) and publish events (every handler).
The message classes themselves come from a flavour: ``tactica.dataclasses.Command`` or
``tactica.pydantic.Command``, and ``Query`` likewise.
"""

from tactica.domain.request import CommandMessage, QueryMessage, Request
from tactica.messaging._broker_async import AsyncEventBroker, Unmatched, instance_of
from tactica.messaging._broker_sync import EventBroker
from tactica.messaging._bus_async import (
    AsyncMessageBus,
    AsyncMiddleware,
    AsyncNext,
    EventFailures,
    EventOrder,
)
from tactica.messaging._bus_sync import MessageBus, Middleware, Next
from tactica.messaging._changes import ChangesHandler
from tactica.messaging._handlers import Handler, Handlers
from tactica.messaging._middleware_async import (
    AsyncIdempotent,
    AsyncKeyedLocks,
    AsyncLogCalls,
    AsyncRetryOnConflict,
    AsyncValidate,
)
from tactica.messaging._middleware_sync import (
    Idempotent,
    KeyedLocks,
    LogCalls,
    RetryOnConflict,
    Validate,
)

__all__ = [
    "AsyncEventBroker",
    "AsyncIdempotent",
    "AsyncKeyedLocks",
    "AsyncLogCalls",
    "AsyncMessageBus",
    "AsyncMiddleware",
    "AsyncNext",
    "AsyncRetryOnConflict",
    "AsyncValidate",
    "ChangesHandler",
    "CommandMessage",
    "EventBroker",
    "EventFailures",
    "EventOrder",
    "Handler",
    "Handlers",
    "Idempotent",
    "KeyedLocks",
    "LogCalls",
    "MessageBus",
    "Middleware",
    "Next",
    "QueryMessage",
    "Request",
    "RetryOnConflict",
    "Unmatched",
    "Validate",
    "instance_of",
]
