"""G4(c) and (d): 8 writers with work inside their transactions, and readers following them.

Each writer thread appends single events to a stream of its own on a connection of its
own: BEGIN, the event INSERT, 0-5 ms of sleep, COMMIT, so transactions overlap and commit
in another order than they drew their positions. Meanwhile the counting projection's
runner follows (a thread for (c), forked processes SIGKILLed and restarted for (d)), and
so does the naive twin; a probe samples whether the stored checkpoint ever passed an
event the projection had not applied. After the load, the runner catches up once more
from its stored checkpoint and everything is counted from the database.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from _g4_harness import (
    TWIN,
    Connection,
    NaiveReader,
    Target,
    TwinCounting,
    delivered,
    drain,
    missed,
    passed_undelivered,
    stored,
    ticked,
    write_one,
)
from _g4_subscriber import Subscribers

from tactica import uuid7
from tactica.projections import ProjectionRunner

__all__ = ["Load", "Outcome"]

WRITERS = 8
MAX_WORK = 0.005
# A pause between a writer's transactions. Without it, SQLite's busy handler (not fair: it
# polls with growing sleeps) lets a writer that just committed take the lock again at
# once, and a subscriber in another process waits for seconds: a lag, G5's subject.
BETWEEN = 0.001
PROBE_EVERY = 0.2


@dataclass
class Outcome:
    """What one load run counted."""

    target: str
    seconds: float
    """How long the run took, draining included."""
    stored: int = 0
    seen: int = 0
    missed: int = 0
    duplicated: int = 0
    naive_missed: int = 0
    twin_missed: int | None = None
    twin_passed: int = 0
    applied_live: int = 0
    """How many events the followers applied before the final catch-up."""
    checkpoint_passed: int = 0
    probes: int = 0
    kills: list[int] = field(default_factory=list)
    writer_errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return the run's figures on one line."""
        kills = f", kills={len(self.kills)}" if self.kills else ""
        twin = (
            ""
            if self.twin_missed is None
            else f", runner twin missed={self.twin_missed} (its checkpoint passed up to "
            f"{self.twin_passed} unapplied)"
        )
        return (
            f"{self.target}: stored={self.stored}, seen={self.seen} ({self.applied_live} "
            f"live), missed={self.missed}, duplicated={self.duplicated}, checkpoint passed an "
            f"unapplied event={self.checkpoint_passed} ({self.probes} probes){kills}, "
            f"naive missed={self.naive_missed}{twin}, in {self.seconds:.1f} s"
        )


class Load:
    """One run: writers, the naive twin and a probe in threads; the runner as asked."""

    def __init__(self, target: Target, seconds: float, seed: int) -> None:
        """Load `target` for `seconds` with writers seeded from `seed`."""
        self.target = target
        self.seconds = seconds
        self.seed = seed
        self.stopping = threading.Event()
        self.outcome = Outcome(target.name, seconds)

    def _write(self, index: int) -> None:
        rng = random.Random(self.seed * 100 + index)
        connection = self.target.connect()
        stream_id = f"g4-w{index}-{uuid7().hex[-12:]}"
        version = 0
        try:
            while not self.stopping.is_set():
                try:
                    write_one(
                        connection, self.target, stream_id, version, ticked(stream_id, version)
                    )
                    time.sleep(rng.uniform(0, MAX_WORK))
                    connection.commit()
                    version += 1
                    time.sleep(BETWEEN)
                except Exception as error:  # noqa: BLE001 - counted; the run goes on
                    connection.rollback()
                    self.outcome.writer_errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    def _follow(self) -> NaiveReader:
        naive = NaiveReader(self.target.connect())
        probe = self.target.connect()
        next_probe = time.monotonic()
        try:
            while not self.stopping.is_set():
                naive.tick()
                if time.monotonic() >= next_probe:
                    self._probe(probe)
                    next_probe = time.monotonic() + PROBE_EVERY
                time.sleep(0.001)
        finally:
            probe.close()
        return naive

    def _probe(self, probe: Connection) -> None:
        outcome = self.outcome
        passed = passed_undelivered(probe, self.target)
        outcome.checkpoint_passed = max(outcome.checkpoint_passed, passed)
        outcome.probes += 1
        if self.target.horizon:
            twin = passed_undelivered(probe, self.target.twin(), TWIN)
            outcome.twin_passed = max(outcome.twin_passed, twin)

    def run(self, *, kills: int = 0, subscribers: Subscribers | None = None) -> Outcome:
        """Run the load with a runner thread, or with `kills` SIGKILLed subscriber processes."""
        writers = [threading.Thread(target=self._write, args=(i,)) for i in range(WRITERS)]
        followed: list[NaiveReader] = []
        follower = threading.Thread(target=lambda: followed.append(self._follow()))
        store = self.target.store()
        runner = self.target.runner(store)
        consumers = [threading.Thread(target=runner.run, daemon=True)] if kills == 0 else []
        twins: list[ProjectionRunner] = []
        if self.target.horizon:
            twin_store = self.target.twin().store()
            twins.append(self.target.twin().runner(twin_store, TwinCounting()))
            consumers.append(threading.Thread(target=twins[0].run, daemon=True))
        started = time.monotonic()
        for thread in [*writers, follower, *consumers]:
            thread.start()
        try:
            if subscribers is None:
                time.sleep(self.seconds)
            else:
                self._kill_and_restart(subscribers, kills, started)
        finally:
            self.stopping.set()
            for thread in writers:
                thread.join()
            for each in [runner, *twins]:
                each.stop()
            for thread in [follower, *consumers]:
                thread.join()
        try:
            self._catch_up(followed[0], runner, twins)
        finally:
            followed[0].connection.close()
            for each in [runner, *twins]:
                each.store.close()  # type: ignore[attr-defined]
        self.outcome.seconds = time.monotonic() - started
        return self.outcome

    def _catch_up(
        self, naive: NaiveReader, runner: ProjectionRunner, twins: list[ProjectionRunner]
    ) -> None:
        probe = self.target.connect()
        try:
            # The last probe before the final catch-up: the twin's skips show here.
            self._probe(probe)
            self.outcome.applied_live = len(delivered(probe))
            naive.tick()
            drain(runner, self.target)
            for twin in twins:
                drain(twin, self.target.twin())
            self._count(probe, naive)
        finally:
            probe.close()

    def _kill_and_restart(self, subscribers: Subscribers, kills: int, started: float) -> None:
        rng = random.Random(self.seed)
        pid = subscribers.start(self.target)
        for _ in range(kills):
            time.sleep(rng.uniform(0.1, max(0.2, self.seconds / (kills + 1))))
            self.outcome.kills.append(subscribers.kill(pid))
            pid = subscribers.start(self.target)
        # The last one lives a moment at least, so that SIGTERM finds it running.
        time.sleep(max(0.3, started + self.seconds - time.monotonic()))
        code = subscribers.stop(pid)
        if code != 0:
            msg = f"the last subscriber exited with {code}"
            raise AssertionError(msg)

    def _count(self, probe: Connection, naive: NaiveReader) -> None:
        passed = passed_undelivered(probe, self.target)
        events = stored(probe, self.target)
        counts = delivered(probe)
        outcome = self.outcome
        outcome.checkpoint_passed = max(outcome.checkpoint_passed, passed)
        outcome.stored = len(events)
        outcome.seen = len(set(counts) & set(events))
        outcome.missed = missed(events, counts)
        outcome.duplicated = sum(counts.values()) - len(counts)
        outcome.naive_missed = missed(events, naive.seen)
        if self.target.horizon:
            outcome.twin_missed = missed(events, delivered(probe, TWIN))
