# Generated from test_projection_swap_schedules_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Rebuilds swapped in under live runners, in schedules nobody wrote by hand (sync colour).

Hypothesis draws a schedule of appends, catch-ups of two live runners (each on its own
connection), rebuilds by a third, and rebuilds a live runner overtakes just before their
swap. Whatever the schedule, once a live runner has caught up, readers see every event
applied exactly once, with the checkpoint at the head; on the in-memory store and a
SQLite file. The broken twin, a store whose live checkpoint moves whatever the generation,
must lose events in some schedule.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tactica.eventsourcing import to_new_event
from tactica.projections import ProjectionRunner
from tactica.stores.memory import InMemoryEventStore, InMemoryEventLog
from tactica.stores.sqlite import SQLiteEventStore, SQLiteConnection, create_schema
from tactica.testing._projection_support_sync import ACCOUNTS, CODEC, Totals, fold
from tactica.testing._projection_swaps_sync import Interleaving
from tactica.testing._sample import Deposited

Step = tuple[str, int]

STEPS = st.one_of(
    st.tuples(st.just("append"), st.integers(min_value=1, max_value=4)),
    st.tuples(st.just("live"), st.integers(min_value=0, max_value=1)),
    st.tuples(st.just("rebuild"), st.just(0)),
    st.tuples(st.just("overtaken rebuild"), st.integers(min_value=0, max_value=1)),
)
SCHEDULES = st.lists(STEPS, min_size=1, max_size=12)


class LogIgnoringTheGeneration(InMemoryEventLog):
    """The broken twin: the live checkpoint moves whatever generation its batch wrote."""

    def _fence(self, projection: str, checkpoint: str, after: int, generation: int) -> None:
        pass


class _Storage:
    """One backend's storage, handing out stores (connections) on it."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend = backend
        self.log: InMemoryEventLog = (
            LogIgnoringTheGeneration() if backend == "broken memory" else InMemoryEventLog()
        )
        self.path = directory / "swaps.db"
        if backend == "sqlite":
            connection = SQLiteConnection(self.path)
            create_schema(connection)
            connection.close()
        self.opened: list[Any] = []

    def store(self) -> Any:
        if self.backend == "sqlite":
            store = SQLiteEventStore(self.path)
            self.opened.append(store)
            return store
        return InMemoryEventStore(self.log)

    def close(self) -> None:
        for store in self.opened:
            store.close()


def _runner(store: Any) -> ProjectionRunner:
    return ProjectionRunner(store, Totals(), codec=CODEC, batch_size=2, poll_interval=0.01)


def _play(schedule: list[Step], backend: str) -> None:
    """Run `schedule`, then check what readers see."""
    with tempfile.TemporaryDirectory() as directory:
        storage = _Storage(backend, Path(directory))
        try:
            _played(schedule, storage)
        finally:
            storage.close()


def _played(schedule: list[Step], storage: _Storage) -> None:
    writer = storage.store()
    live = [_runner(storage.store()), _runner(storage.store())]
    deposits: list[tuple[int, int, int]] = []

    def append(count: int) -> None:
        for _ in range(count):
            account, amount = len(deposits) % 2, len(deposits) + 1
            event = to_new_event(CODEC, Deposited(account_id=ACCOUNTS[account], amount=amount))
            result = writer.append(f"account-{account}", [event])
            deposits.append((result.position, account, amount))

    for kind, argument in schedule:
        if kind == "append":
            append(argument)
        elif kind == "live":
            live[argument].run_until_caught_up()
        elif kind == "rebuild":
            _runner(storage.store()).rebuild()
        else:
            rebuilding = Interleaving(storage.store())
            chosen = live[argument]

            def overtake(runner: ProjectionRunner = chosen) -> None:
                append(1)
                runner.run_until_caught_up()

            rebuilding.before_swap = overtake
            _runner(rebuilding).rebuild()
    append(1)
    live[0].run_until_caught_up()
    assert writer.documents("totals", "totals") == fold(deposits)[0]
    assert writer.documents("totals", "applied") == fold(deposits)[1]
    assert writer.checkpoint("totals") == deposits[-1][0]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=SCHEDULES)
def test_any_schedule_of_rebuilds_under_live_runners_keeps_every_event_once(
    backend: str, schedule: list[Step]
) -> None:
    """After any schedule of appends, live catch-ups and rebuilds, each event shows once."""
    _play(schedule, backend)


def test_some_schedule_loses_events_on_the_store_that_ignores_the_generation() -> None:
    """The broken twin fails the same check: the property test has teeth."""
    schedule: list[Step] = [("append", 2), ("live", 0), ("rebuild", 0), ("append", 1)]
    with pytest.raises(AssertionError):
        _play(schedule, "broken memory")
