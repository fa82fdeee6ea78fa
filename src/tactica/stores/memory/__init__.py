"""The in-memory backend: the reference implementation and the blessed fake.

It passes every conformance contract in `tactica.testing`, so tests written against it
hold for the database backends too.
"""

from tactica.stores.memory._database import InMemoryDatabase
from tactica.stores.memory._event_log import InMemoryEventLog
from tactica.stores.memory._event_store_async import AsyncInMemoryEventStore
from tactica.stores.memory._event_store_sync import InMemoryEventStore
from tactica.stores.memory._repository_async import AsyncInMemoryRepository
from tactica.stores.memory._repository_sync import InMemoryRepository
from tactica.stores.memory._unit_async import AsyncInMemoryUnitOfWork
from tactica.stores.memory._unit_sync import InMemoryUnitOfWork

__all__ = [
    "AsyncInMemoryEventStore",
    "AsyncInMemoryRepository",
    "AsyncInMemoryUnitOfWork",
    "InMemoryDatabase",
    "InMemoryEventLog",
    "InMemoryEventStore",
    "InMemoryRepository",
    "InMemoryUnitOfWork",
]
