"""Event sourcing: repositories that load aggregates from their events and append new ones.

`EventSourcedRepository` works on any event store; `EventSourcedUnitOfWork` commits every
touched stream atomically with the outbox. Inside a SQL unit of work, ``uow.event_sourced``
keeps event-sourced and state-stored aggregates in one transaction; the repository it
returns lives with the SQL backends (`tactica.stores.sql.SQLEventSourcedRepository`).
"""

from tactica._moved import moved_names as _moved_names
from tactica.eventsourcing._cache_async import AsyncSnapshotCache
from tactica.eventsourcing._cache_sync import SnapshotCache
from tactica.eventsourcing._decider_async import AsyncDeciderRunner
from tactica.eventsourcing._decider_sync import DeciderRunner
from tactica.eventsourcing._repository_async import AsyncEventSourcedRepository
from tactica.eventsourcing._repository_sync import EventSourcedRepository
from tactica.eventsourcing._unit_async import AsyncEventSourcedUnitOfWork
from tactica.eventsourcing._unit_sync import EventSourcedUnitOfWork
from tactica.ports._streams import decode_events, to_new_event

__all__ = [
    "AsyncDeciderRunner",
    "AsyncEventSourcedRepository",
    "AsyncEventSourcedUnitOfWork",
    "AsyncSnapshotCache",
    "DeciderRunner",
    "EventSourcedRepository",
    "EventSourcedUnitOfWork",
    "SnapshotCache",
    "decode_events",
    "to_new_event",
]

__getattr__ = _moved_names(
    __name__,
    {
        "AsyncSQLEventSourcedRepository": "tactica.stores.sql",
        "SQLEventSourcedRepository": "tactica.stores.sql",
    },
)
