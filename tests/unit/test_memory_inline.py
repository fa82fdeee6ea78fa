"""The in-memory unit of work's inline projections: colour checks and turns (both colours here).

Not generated: concurrent tasks and a handler of the other colour have no sync rename.
"""

from __future__ import annotations

import asyncio

import pytest

from tactica.dataclasses import AggregateRoot, DomainEvent
from tactica.domain.naming import storage_name
from tactica.errors import HandlerColourError
from tactica.projections import (
    AsyncProjectionTransaction,
    Projection,
    ProjectionTransaction,
    handles,
)
from tactica.stores.memory import (
    AsyncInMemoryEventStore,
    AsyncInMemoryUnitOfWork,
    InMemoryDatabase,
    InMemoryUnitOfWork,
)


class Sent(DomainEvent, name="tests.memory_inline.sent"):
    to: str


class Outbox(AggregateRoot[str]):
    def send(self, to: str) -> None:
        self.record(Sent(to=to))


class SlowCounts(Projection):
    """Counts mail per recipient, yielding to other tasks between its read and its write."""

    name = "counts"

    @handles
    async def sent(self, event: Sent, tx: AsyncProjectionTransaction) -> None:
        document = await tx.get("sent", event.to) or {"count": 0}
        await asyncio.sleep(0)
        await tx.put("sent", event.to, {"count": document["count"] + 1})


class SyncCounts(Projection):
    name = "counts"

    @handles
    def sent(self, event: Sent, tx: ProjectionTransaction) -> None:
        tx.put("sent", event.to, {"count": 1})


class Post(AsyncInMemoryUnitOfWork):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database, inline=[SlowCounts()])
        self.boxes = self.repository(Outbox)


@pytest.mark.asyncio
async def test_concurrent_commits_feeding_one_document_lose_no_update() -> None:
    """Handlers of 20 commits interleave on one document; every commit still counts once."""
    database = InMemoryDatabase()

    async def send(box_id: str) -> None:
        async with Post(database) as uow:
            box = Outbox(id=box_id)
            box.send("ada")
            await uow.boxes.add(box)
            await uow.commit()

    await asyncio.gather(*(send(f"box-{n}") for n in range(20)))
    store = AsyncInMemoryEventStore(database.log)
    assert await store.document("counts", "sent", "ada") == {"count": 20}
    assert database.count(storage_name(Outbox)) == 20


def test_the_async_memory_unit_refuses_a_sync_inline_handler() -> None:
    """An async unit of work refuses a plain-function handler at construction, naming it."""
    with pytest.raises(HandlerColourError, match=r"SyncCounts\.sent"):
        AsyncInMemoryUnitOfWork(InMemoryDatabase(), inline=[SyncCounts()])


def test_the_sync_memory_unit_refuses_an_async_inline_handler() -> None:
    """A sync unit of work refuses an ``async def`` handler at construction, naming it."""
    with pytest.raises(HandlerColourError, match=r"SlowCounts\.sent"):
        InMemoryUnitOfWork(InMemoryDatabase(), inline=[SlowCounts()])


def test_the_sync_memory_unit_writes_inline_documents_with_the_commit() -> None:
    """The sync unit takes sync handlers and stores their documents with the aggregate."""
    database = InMemoryDatabase()
    with InMemoryUnitOfWork(database, inline=[SyncCounts()]) as uow:
        boxes = uow.repository(Outbox)
        box = Outbox(id="box-1")
        box.send("bob")
        boxes.add(box)
        uow.commit()
    assert database.log.stored_document(("counts", 1, "sent"), "bob") == b'{"count":1}'
