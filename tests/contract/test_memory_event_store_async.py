"""The in-memory event store (async colour) passes the event-store contract."""

from __future__ import annotations

from tactica.stores.memory import AsyncInMemoryEventStore, InMemoryEventLog
from tactica.testing import AsyncEventStoreContract


class TestAsyncInMemoryEventStore(AsyncEventStoreContract):
    def new_store(self) -> AsyncInMemoryEventStore:
        self.log = InMemoryEventLog()
        return AsyncInMemoryEventStore(self.log)

    def another_store(self) -> AsyncInMemoryEventStore:
        return AsyncInMemoryEventStore(self.log)
