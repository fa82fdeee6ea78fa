"""The G5 harness: a light append load, a following runner, a status watcher, and a stall.

A writer thread appends one event every 5-10 ms and notes when each append returned; a
`ProjectionRunner.run()` thread applies them, and the projection's ``on_commit`` notes
when each position was applied; a watcher polls ``store.status`` every poll interval. In
the middle of the run the test holds something for T seconds (a transaction, the
events-table lock, or the runner itself); `Run` keeps every timestamp for the checks.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tactica import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.eventsourcing import to_new_event
from tactica.ports import ANY
from tactica.projections import Projection, ProjectionRunner, handles
from tactica.stores._sql._event_rows import global_read, recorded
from tactica.stores._sql._event_store_sync import write_appends
from tactica.stores.postgres import PostgresConnection, PostgresEventStore

NAME = "g5-probe"
POLL = 0.03  # the runner's and the watcher's poll interval
STALLED_AFTER = 0.2


class Ticked(DomainEvent, name="tests.reliability.g5.ticked"):
    """One event of the load."""

    n: int


CODEC = JsonCodec(TypeRegistry([Ticked]))


class Probe(Projection):
    """Notes when each position was applied (after its batch committed)."""

    name = NAME

    def __init__(self, applied: list[tuple[int, float]]) -> None:
        self.applied = applied

    @handles(Ticked)
    def ticked(self, event: Ticked, tx: Any) -> None:
        del event
        position = tx.recorded.position
        tx.on_commit(lambda: self.applied.append((position, time.monotonic())))


class PositionOrderReads(PostgresEventStore):
    """Broken twin: `read_all` in position order, blind to transactions still open."""

    def read_all(self, *, after: int = 0, limit: int = 1000, types: Any = None) -> list[Any]:
        """Return the events after `after` by position, whatever is still uncommitted."""
        del types
        with self._connections() as connection:
            rows = connection.fetch(global_read(horizon=False, types=0), [after, limit])
        return [recorded(row) for row in rows]


@dataclass
class Append:
    """One append of the writer: when it was called and returned, and where it landed."""

    started: float
    returned: float
    position: int


@dataclass
class Sample:
    """One `status` reading of the watcher."""

    at: float
    stalled: bool
    reason: str | None
    pending: int
    seconds_behind: float


@dataclass
class Run:
    """Everything a load run observed."""

    appends: list[Append] = field(default_factory=list)
    applied: list[tuple[int, float]] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    writer_errors: list[BaseException] = field(default_factory=list)
    other_errors: list[BaseException] = field(default_factory=list)
    stall: tuple[float, float] = (0.0, 0.0)
    """When the hold was in place, and when it was let go."""
    stored: list[int] = field(default_factory=list)

    def lags(self, keep: Callable[[Append], bool] = lambda _: True) -> list[float]:
        """Return append-return-to-applied lags (s) of the appends `keep` selects."""
        applied = dict(self.applied)
        return [
            max(applied[a.position] - a.returned, 0.0)
            for a in self.appends
            if keep(a) and a.position in applied
        ]

    def held_back(self) -> list[Append]:
        """Return the appends started before the release but applied only after it."""
        applied, end = dict(self.applied), self.stall[1]
        return [a for a in self.appends if a.started < end <= applied.get(a.position, end)]

    def missed(self) -> int:
        """Return how many stored positions the projection never applied."""
        return len(set(self.stored) - {position for position, _ in self.applied})

    def duplicated(self) -> int:
        """Return how many extra applications of a position there were."""
        return sum(n - 1 for n in Counter(p for p, _ in self.applied).values() if n > 1)


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of `values` (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _started(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def guarded() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    return thread


Stall = Callable[[Callable[[], None], Callable[[], None]], float]
"""Holds things up, given (pause runner, resume runner); returns when the hold was in place."""


class _Load:
    """The writer, runner and watcher threads of one run, on stores of their own."""

    def __init__(self, conninfo: str, global_order: Any, reader: type[Any], run_seed: int) -> None:
        self.run = Run()
        self.rng = random.Random(run_seed)
        self.stop = threading.Event()
        self.writer = PostgresEventStore(conninfo, global_order=global_order)
        self.reading = reader(conninfo, global_order=global_order)
        self.watching = PostgresEventStore(conninfo, global_order=global_order)
        self.runner = ProjectionRunner(
            self.reading, Probe(self.run.applied), codec=CODEC, poll_interval=POLL
        )
        self.running: list[threading.Thread] = []

    def write(self) -> None:
        n = 0
        while not self.stop.is_set():
            time.sleep(self.rng.uniform(0.005, 0.01))
            n += 1
            started = time.monotonic()
            try:
                result = self.writer.append(f"load-{n % 10}", [to_new_event(CODEC, Ticked(n=n))])
            except Exception as error:  # noqa: BLE001 - counted: G5 wants 0 writer errors
                self.run.writer_errors.append(error)
                continue
            self.run.appends.append(Append(started, time.monotonic(), result.position))

    def watch(self) -> None:
        # Finer than the runner's poll, so the instrument adds little to time-to-stalled.
        while not self.stop.is_set():
            at = time.monotonic()
            status = self.watching.status(NAME, stalled_after=STALLED_AFTER)
            self.run.samples.append(
                Sample(
                    at, status.stalled, status.stall_reason, status.pending, status.seconds_behind
                )
            )
            time.sleep(0.01)

    def resume(self) -> None:
        self.running.append(_started(self.runner.run, self.run.other_errors))

    def pause(self) -> None:
        self.runner.stop()
        self.running.pop().join(timeout=10)

    def finish(self) -> None:
        self.stop.set()
        deadline = time.monotonic() + 10
        last = max((a.position for a in self.run.appends), default=0)
        while not self.reading.reached(NAME, last) and time.monotonic() < deadline:
            time.sleep(POLL)
        time.sleep(3 * POLL)
        self.pause()
        self.run.stored = [e.position for e in self.watching.read_all(limit=1_000_000)]
        for store in (self.writer, self.reading, self.watching):
            store.close()


def load_run(
    conninfo: str,
    global_order: str,
    stall: Stall,
    *,
    run_seed: int,
    reader: type[Any] = PostgresEventStore,
) -> Run:
    """Run the load with `stall` in the middle; return what was observed."""
    load = _Load(conninfo, global_order, reader, run_seed)
    load.resume()
    helpers = [_started(load.watch, load.run.other_errors)]
    helpers.append(_started(load.write, load.run.writer_errors))
    time.sleep(0.6)
    in_place = stall(load.pause, load.resume)
    load.run.stall = (in_place, time.monotonic())
    time.sleep(1.0)
    load.stop.set()
    for thread in helpers:
        thread.join(timeout=10)
    load.finish()
    return load.run


def held(seconds: float, hold: Callable[[], Callable[[], None]]) -> Stall:
    """Return a stall that calls `hold()`, waits `seconds`, then calls what it returned."""

    def stall(pause: Callable[[], None], resume: Callable[[], None]) -> float:
        del pause, resume
        release = hold()
        in_place = time.monotonic()
        time.sleep(seconds)
        release()
        return in_place

    return stall


def paused(seconds: float) -> Stall:
    """Return a stall that stops the runner for `seconds`, then starts it again."""

    def stall(pause: Callable[[], None], resume: Callable[[], None]) -> float:
        pause()
        in_place = time.monotonic()
        time.sleep(seconds)
        resume()
        return in_place

    return stall


def open_transaction(conninfo: str, *, event: bool) -> Callable[[], None]:
    """Open a write transaction (an event append, or a row elsewhere); return its commit."""
    blocker = PostgresConnection(conninfo)
    blocker.begin()
    if event:
        write_appends(blocker, [("held-1", (to_new_event(CODEC, Ticked(n=0)),), ANY)])
    else:
        blocker.execute("INSERT INTO g5_other (x) VALUES (1)")

    def release() -> None:
        blocker.commit()
        blocker.close()

    return release


def lock_events_table(conninfo: str) -> Callable[[], None]:
    """Take the events table's EXCLUSIVE lock in an open transaction; return its release."""
    blocker = PostgresConnection(conninfo)
    blocker.begin()
    blocker.execute("LOCK TABLE tactica_events IN EXCLUSIVE MODE")

    def release() -> None:
        blocker.rollback()
        blocker.close()

    return release
