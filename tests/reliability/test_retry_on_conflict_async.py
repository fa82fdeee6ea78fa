"""RetryOnConflict under real contention: 200 commands on one aggregate from 8 workers.

Each worker has its own event store (its own connection, as another process would) and
sends its share of increments to one event-sourced counter, through a bus whose only
middleware is `AsyncRetryOnConflict`; the sync twin of this module runs them as threads.

At the defaults no command runs out of attempts, on a SQLite file or on PostgreSQL; the
broken twin is the previous schedule (3 attempts, waits doubling from 5 ms, no jitter),
which gives up on dozens of them. Where the losers of a race learn of it at the same
instant (PostgreSQL: they wait on the winner's index entry, then all fail at its commit),
waits without jitter keep them in step, so each round has one winner: at equal settings
the jitter-free twin runs out many times more often.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias, assert_never

import pytest

from tactica import AsyncMessageBus, Handlers, JsonCodec, TypeRegistry, uuid7
from tactica.dataclasses import Command, DomainEvent, EventSourcedAggregate
from tactica.errors import ConflictRetriesExhaustedError
from tactica.eventsourcing import AsyncEventSourcedUnitOfWork
from tactica.messaging import AsyncRetryOnConflict
from tactica.stores.sqlite import AsyncSQLiteEventStore, SQLiteConnection, create_schema
from tactica.testing import require_service
from tactica.testing._concurrency import AsyncBarrier, async_run_all

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
WORKERS = 8


class Counted(DomainEvent, name="tests.retry-jitter.counted"):
    pass


CounterEvent: TypeAlias = Counted


class Counter(EventSourcedAggregate[str, CounterEvent]):
    count: int = 0

    def evolve(self, event: CounterEvent) -> None:
        match event:
            case Counted():
                self.count += 1
            case _:
                assert_never(event)


class Count(Command[int], name="tests.retry-jitter.count"):
    counter_id: str


codec = JsonCodec(TypeRegistry([Counted]))


class CounterWork(AsyncEventSourcedUnitOfWork):
    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.counters = self.event_sourced(Counter, codec=codec)


handlers = Handlers()


@handlers.command(message_type=Count)
async def count(command: Count, uow: CounterWork) -> int:
    async with uow:
        counter = await uow.counters.find(command.counter_id)
        if counter is None:
            counter = Counter.blank(command.counter_id)
            await uow.counters.add(counter)
        counter.apply(Counted())
        await uow.commit()
    return counter.count


@dataclass
class Backend:
    """Opens one worker's event store."""

    open_store: Callable[[], Any]


@contextmanager
def _sqlite(directory: Path) -> Generator[Backend]:
    path = directory / "hot.db"
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    yield Backend(lambda: AsyncSQLiteEventStore(path))


@contextmanager
def _postgres() -> Generator[Backend]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    from tactica.stores.postgres import AsyncPostgresEventStore, PostgresConnection
    from tactica.stores.postgres import create_schema as create_postgres_schema

    namespace = f"retry_jitter_{uuid7().hex[-12:]}"
    connection = PostgresConnection(POSTGRES, namespace=namespace)
    create_postgres_schema(connection)
    connection.close()
    try:
        yield Backend(lambda: AsyncPostgresEventStore(POSTGRES, namespace=namespace))
    finally:
        admin = PostgresConnection(POSTGRES)
        admin.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Generator[Backend]:
    """Each worker's event store: a SQLite file, or a PostgreSQL schema of the test's own."""
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as opened:
        yield opened


@pytest.fixture
def postgres() -> Generator[Backend]:
    """Each worker's event store: a PostgreSQL schema of the test's own."""
    with _postgres() as opened:
        yield opened


@dataclass
class Outcome:
    succeeded: int
    ran_out: int
    final_count: int


async def hammer(
    backend: Backend, retry: AsyncRetryOnConflict, *, commands: int = 200, in_step: bool = False
) -> Outcome:
    """Send `commands` increments of one counter from 8 workers; count the outcomes.

    `in_step`: the workers wait for each other before each command, so every command
    starts a race of 8.
    """
    counter_id = f"hot-{uuid7().hex}"
    stores = [backend.open_store() for _ in range(WORKERS)]
    first = AsyncMessageBus(handlers, unit_of_work=lambda: CounterWork(stores[0]))
    await first.dispatch(Count(counter_id=counter_id))  # the stream exists before the race
    barrier = AsyncBarrier(WORKERS)

    def worker(store: Any) -> Callable[[], Any]:
        bus = AsyncMessageBus(handlers, unit_of_work=lambda: CounterWork(store), middleware=[retry])

        async def run() -> tuple[int, int]:
            succeeded = ran_out = 0
            for _ in range(commands // WORKERS):
                if in_step:
                    await barrier.wait()
                try:
                    await bus.dispatch(Count(counter_id=counter_id))
                    succeeded += 1
                except ConflictRetriesExhaustedError:
                    ran_out += 1
            return succeeded, ran_out

        return run

    try:
        results = await async_run_all([worker(store) for store in stores])
        final_count = await stores[0].stream_version(f"Counter-{counter_id}") - 1
    finally:
        for store in stores:
            await store.close()
    counts: list[tuple[int, int]] = [r for r in results if isinstance(r, tuple)]
    assert len(counts) == WORKERS, f"only running out is expected: {results}"
    succeeded = sum(ok for ok, _ in counts)
    ran_out = sum(out for _, out in counts)
    return Outcome(succeeded, ran_out, final_count)


@pytest.mark.asyncio
async def test_two_hundred_commands_on_one_aggregate_all_succeed_at_the_defaults(
    backend: Backend,
) -> None:
    """At the default schedule, none of 200 commands from 8 workers runs out of attempts."""
    outcome = await hammer(backend, AsyncRetryOnConflict([Count]))
    assert (outcome.succeeded, outcome.ran_out) == (200, 0)
    assert outcome.final_count == 200, "every success stored once, no lost update"


@pytest.mark.asyncio
async def test_the_previous_jitter_free_schedule_gives_up_on_the_same_load(
    backend: Backend,
) -> None:
    """The broken twin: 3 attempts, doubling waits, no jitter; commands run out."""
    previous = AsyncRetryOnConflict([Count], attempts=3, backoff=0.005, random=lambda: 1.0)
    outcome = await hammer(backend, previous)
    print(f"previous schedule: {outcome.ran_out} of 200 ran out")
    assert outcome.ran_out > 0
    assert outcome.final_count == outcome.succeeded, "a command that gave up stored nothing"


@pytest.mark.asyncio
async def test_jitter_spreads_commands_that_collide_in_step(postgres: Backend) -> None:
    """In races of 8 at equal settings, waits without jitter run out many times more often."""
    jittered = await hammer(
        postgres, AsyncRetryOnConflict([Count], attempts=5), commands=80, in_step=True
    )
    in_step = await hammer(
        postgres,
        AsyncRetryOnConflict([Count], attempts=5, random=lambda: 1.0),
        commands=80,
        in_step=True,
    )
    print(
        f"races of 8, 5 attempts: {jittered.ran_out} ran out with jitter, {in_step.ran_out} without"
    )
    assert in_step.ran_out > 2 * jittered.ran_out
    assert jittered.final_count == jittered.succeeded
    assert in_step.final_count == in_step.succeeded
