# Generated from test_memory_event_store_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory event store (sync colour) passes the event-store contract."""

from __future__ import annotations

from tactica.stores.memory import InMemoryEventStore, InMemoryEventLog
from tactica.testing import EventStoreContract


class TestInMemoryEventStore(EventStoreContract):
    def new_store(self) -> InMemoryEventStore:
        self.log = InMemoryEventLog()
        return InMemoryEventStore(self.log)

    def another_store(self) -> InMemoryEventStore:
        return InMemoryEventStore(self.log)
