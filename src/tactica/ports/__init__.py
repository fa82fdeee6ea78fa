"""Ports: the protocols every backend implements, in both colours, and the records they pass.

The application packages (buses, repositories, runners) depend on these, never on a
backend: `AsyncUnitOfWork`/`UnitOfWork` here are the protocols that every unit of work
of `tactica.stores` satisfies, and `AsyncDispatcher`/`Dispatcher` what the buses offer a
handler that sends follow-up messages.
"""

from tactica.ports._dispatcher_async import AsyncDispatcher
from tactica.ports._dispatcher_sync import Dispatcher
from tactica.ports._event_store_async import AsyncEventStore
from tactica.ports._event_store_sync import EventStore
from tactica.ports._events import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendResult,
    Expected,
    ExpectedState,
    NewEvent,
    RecordedEvent,
    Snapshot,
    StreamAppend,
)
from tactica.ports._outbox import OutboxMessage
from tactica.ports._repository_async import AsyncRepository
from tactica.ports._repository_sync import Repository
from tactica.ports._snapshots_async import AsyncSnapshotStore
from tactica.ports._snapshots_sync import SnapshotStore
from tactica.ports._unit_of_work_async import AsyncUnitOfWork
from tactica.ports._unit_of_work_sync import UnitOfWork

__all__ = [
    "ANY",
    "NO_STREAM",
    "STREAM_EXISTS",
    "AppendResult",
    "AsyncDispatcher",
    "AsyncEventStore",
    "AsyncRepository",
    "AsyncSnapshotStore",
    "AsyncUnitOfWork",
    "Dispatcher",
    "EventStore",
    "Expected",
    "ExpectedState",
    "NewEvent",
    "OutboxMessage",
    "RecordedEvent",
    "Repository",
    "Snapshot",
    "SnapshotStore",
    "StreamAppend",
    "UnitOfWork",
]
