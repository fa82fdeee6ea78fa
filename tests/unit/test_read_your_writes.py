"""Read-your-writes: a commit returns its position, `wait_for` waits for it (both colours).

A command's unit of work returns the global position its last event got; a caller that
then waits for a projection to reach that position reads a view that includes the
command, however far behind the projection's runner was.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Self

import pytest

from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent, EventSourcedAggregate
from tactica.errors import ProjectionTimeoutError
from tactica.eventsourcing import AsyncEventSourcedUnitOfWork, EventSourcedUnitOfWork
from tactica.projections import (
    AsyncProjectionRunner,
    AsyncProjectionTransaction,
    ProjectionRunner,
    ProjectionTransaction,
    async_wait_for,
    projection,
    wait_for,
)
from tactica.stores.memory import AsyncInMemoryEventStore, InMemoryEventStore


class Counted(DomainEvent, name="tests.ryw.counted"):
    by: int


class Tally(EventSourcedAggregate[str, Counted]):
    total: int = 0

    @classmethod
    def start(cls, tally_id: str) -> Self:
        return cls.blank(tally_id)

    def count(self, by: int) -> None:
        self.apply(Counted(by=by))

    def evolve(self, event: Counted) -> None:
        self.total += event.by


class Tallies(AsyncEventSourcedUnitOfWork):
    def __init__(self, store: AsyncInMemoryEventStore) -> None:
        super().__init__(store)
        self.tallies = self.event_sourced(Tally)


totals = projection("totals")


@totals.handles
async def counted(event: Counted, tx: AsyncProjectionTransaction) -> None:
    await tx.put("totals", "all", (await tx.get("totals", "all") or 0) + event.by)


def _codec() -> JsonCodec:
    registry = TypeRegistry()
    registry.register(Counted)
    return JsonCodec(registry)


@pytest.mark.asyncio
async def test_a_commit_returns_the_position_that_wait_for_waits_for() -> None:
    """Each commit's position, once waited for, shows up in the projection's read model."""
    store = AsyncInMemoryEventStore()
    runner = AsyncProjectionRunner(store, totals, codec=_codec(), poll_interval=0.5)
    task = asyncio.create_task(runner.run())
    try:
        for round_number in range(1, 6):
            async with Tallies(store) as uow:
                tally = await uow.tallies.find("t-1") or Tally.start("t-1")
                tally.count(round_number)
                if tally.version == 1:
                    await uow.tallies.add(tally)
                position = await uow.commit()
            assert position == round_number
            await async_wait_for(store, "totals", position, timeout=5.0)
            expected = sum(range(1, round_number + 1))
            assert await store.document("totals", "totals", "all") == expected
    finally:
        runner.stop()
        await task


@pytest.mark.asyncio
async def test_a_commit_without_events_returns_position_zero_which_is_always_reached() -> None:
    """A unit of work that appends nothing returns 0, and waiting for 0 returns at once."""
    store = AsyncInMemoryEventStore()
    async with Tallies(store) as uow:
        assert await uow.commit() == 0
    await async_wait_for(store, "totals", 0, timeout=0.01)


@pytest.mark.asyncio
async def test_waiting_for_a_position_no_runner_reaches_times_out_with_a_typed_error() -> None:
    """With no runner, `wait_for` gives up after its timeout and says where the view is."""
    store = AsyncInMemoryEventStore()
    async with Tallies(store) as uow:
        tally = Tally.start("t-2")
        tally.count(1)
        await uow.tallies.add(tally)
        position = await uow.commit()
    with pytest.raises(ProjectionTimeoutError, match=r"did not reach position 1 within 0\.05 s"):
        await async_wait_for(store, "totals", position, timeout=0.05)


class SyncTallies(EventSourcedUnitOfWork):
    def __init__(self, store: InMemoryEventStore) -> None:
        super().__init__(store)
        self.tallies = self.event_sourced(Tally)


sync_totals = projection("totals")


@sync_totals.handles
def counted_in_a_thread(event: Counted, tx: ProjectionTransaction) -> None:
    tx.put("totals", "all", (tx.get("totals", "all") or 0) + event.by)


def test_a_sync_commit_position_is_waited_for_while_a_runner_thread_follows() -> None:
    """The sync colour: a runner in a thread, commits and `wait_for` in the caller's thread."""
    store = InMemoryEventStore()
    runner = ProjectionRunner(store, sync_totals, codec=_codec(), poll_interval=0.5)
    thread = threading.Thread(target=runner.run)
    thread.start()
    try:
        for round_number in range(1, 6):
            with SyncTallies(store) as uow:
                tally = uow.tallies.find("t-1") or Tally.start("t-1")
                tally.count(round_number)
                if tally.version == 1:
                    uow.tallies.add(tally)
                position = uow.commit()
            wait_for(store, "totals", position, timeout=5.0)
            assert store.document("totals", "totals", "all") == sum(range(1, round_number + 1))
    finally:
        runner.stop()
        thread.join()
