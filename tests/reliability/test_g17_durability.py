"""G17 on a real PostgreSQL and a real SQLite file: an acknowledged append survives a crash.

Every writer keeps a ledger of the event ids whose append returned (the ack), and the
database is read back by a new store after the crash (GUARANTEES.md §7):

- PostgreSQL, the session's throwaway server: two writer threads append 1 to 3 events at a
  time while the server is restarted with ``pg_ctl restart -m immediate`` (a crash: no
  checkpoint, recovery from the WAL) 4 times. One writer has a connection of its own and
  opens a new store after an error; the other keeps one store on a psycopg pool (its
  defaults), which must reconnect by itself. On any error a writer retries the same
  events (same ids, same expected version), so G3 (c) is checked on the way: after the
  run, each stream holds exactly the acked events, in order, once each.
- SQLite: a child process appends one event at a time and notes (and fsyncs) each acked
  id in a ledger file; it is SIGKILLed at a random moment, 15 times. Every acked id must
  be stored, each run's versions contiguous, and ``PRAGMA integrity_check`` ok.

Broken twins acknowledge before the commit (ack-before-commit) and must show a missing
acked id. On PostgreSQL the twin writer notes the ids, then appends, and moves on after an
error. On SQLite the twin also opens its connection with ``PRAGMA synchronous=OFF``; that
alone cannot be caught by killing a process: the operating system keeps the written pages
in its cache and flushes them after the process dies, so only a power cut or a kernel
crash would lose them, which this machine cannot stage. What the kill does catch, in
most runs of 5, is the ack that precedes the commit.

Timings are drawn from fixed seeds, printed; TACTICA_RELIABILITY_SEED replays another.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from _event_store_harness import Forker, payload, recorded_events
from _throwaway_postgres import ThrowawayPostgres, _run
from _uow_harness import seed
from psycopg_pool import ConnectionPool

from tactica.errors import AppendOutcomeUnknownError, DatabaseConnectionError
from tactica.ports import AppendResult, NewEvent
from tactica.stores.postgres import PostgresEventStore
from tactica.stores.sqlite import SQLiteConnection
from tactica.testing import new_event

SETTLE_TIMEOUT = 60.0  # seconds a writer may spend settling one append across restarts


class Writer:
    """Appends to its own stream until stopped; acks only what a returned append stored.

    The `twin` acks the events before it appends them, and gives them up on an error.
    """

    def __init__(
        self, name: str, conninfo: str, run_seed: int, *, pool: bool, twin: bool = False
    ) -> None:
        self.name = name
        self.twin = twin
        self.stream_id = f"g17-{name}"
        self.conninfo = conninfo
        self.rng = random.Random(run_seed)
        self.pool: ConnectionPool[Any] | None = None
        if pool:
            # psycopg_pool's defaults: no check on lending, so a connection the crash broke
            # is lent once, fails with a typed error, and is then replaced by the pool.
            self.pool = ConnectionPool(conninfo, min_size=1, max_size=2, open=True)
        self.store: PostgresEventStore | None = None
        self.acked: list[UUID] = []
        self.tally: Counter[str] = Counter()
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run_twin if twin else self._run)

    def _connect(self) -> PostgresEventStore:
        if self.store is None:
            self.store = PostgresEventStore(self.pool if self.pool is not None else self.conninfo)
        return self.store

    def _drop(self) -> None:
        # A store on its own connection is dead once the connection is; a pooled one lives on.
        if self.pool is None and self.store is not None:
            self.store.close()
            self.store = None

    def _settle(self, events: list[NewEvent], version: int) -> AppendResult:
        """Append until it is known to be stored, retrying the same events on every error."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            assert time.monotonic() < deadline, f"{self.name}: no append settled in time"
            try:
                result = self._connect().append(self.stream_id, events, version)
            except psycopg.OperationalError:
                self.tally["could not connect"] += 1  # the server is down: no store was made
            except AppendOutcomeUnknownError:
                self.tally["outcome unknown"] += 1
                self._drop()
            except DatabaseConnectionError:
                self.tally["connection lost, nothing stored"] += 1
                self._drop()
            else:
                if result.already_appended:
                    self.tally["unknown outcome had landed"] += 1
                return result
            time.sleep(0.01)

    def _run(self) -> None:
        try:
            version = 0
            while not self.stop.is_set():
                events = [
                    new_event("tests.g17.written", payload(writer=self.name, n=version + k))
                    for k in range(1, self.rng.randint(1, 3) + 1)
                ]
                version = self._settle(events, version).stream_version
                self.acked.extend(event.event_id for event in events)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def _run_twin(self) -> None:
        while not self.stop.is_set():
            try:
                store = self._connect()
                version = store.stream_version(self.stream_id)
                event = new_event("tests.g17.written", payload(writer=self.name, n=version + 1))
                self.acked.append(event.event_id)  # the broken guard: acked before the commit
                store.append(self.stream_id, [event], version)
            except (psycopg.OperationalError, DatabaseConnectionError):
                self.tally["given up"] += 1
                self._drop()
                time.sleep(0.01)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        if self.pool is not None:
            self.pool.close()


def _restart_immediately(server: ThrowawayPostgres) -> None:
    """Crash-stop the server (no checkpoint, no clean shutdown) and start it again."""
    _run(
        [
            *server.run_as,
            str(server.bindir / "pg_ctl"),
            "-D",
            str(server.data),
            "-m",
            "immediate",
            "-l",
            str(server.directory / "server.log"),
            "-w",
            "-t",
            "60",
            "restart",
        ]
    )


def _wait_for_acks(writers: list[Writer], counts: list[int], timeout: float) -> float:
    """Wait until every writer acked something new; return how long it took."""
    started = time.monotonic()
    while any(len(w.acked) <= n and w.error is None for w, n in zip(writers, counts, strict=True)):
        assert time.monotonic() - started < timeout, "a writer did not recover in time"
        time.sleep(0.005)
    return time.monotonic() - started


def _restarts(server: ThrowawayPostgres, writers: list[Writer], run_seed: int) -> dict[str, Any]:
    """Crash-restart the server 4 times under the writers' load; read their streams back."""
    rng = random.Random(run_seed)
    recoveries: list[float] = []
    started = time.perf_counter()
    try:
        for writer in writers:
            writer.thread.start()
        _wait_for_acks(writers, [0] * len(writers), 30)
        for _ in range(4):
            time.sleep(rng.uniform(0.2, 0.6))
            counts = [len(writer.acked) for writer in writers]
            _restart_immediately(server)
            recoveries.append(_wait_for_acks(writers, counts, 30))
    finally:
        for writer in writers:
            writer.stop.set()
            writer.thread.join(timeout=SETTLE_TIMEOUT + 10)
            writer.close()
    reader = PostgresEventStore(writers[0].conninfo)  # a new store after the last restart
    stored = {w.name: [e.event_id for e in reader.read(w.stream_id)] for w in writers}
    reader.close()
    tally: Counter[str] = Counter()
    for writer in writers:
        tally.update(writer.tally)
    return {
        "stored": stored,
        "tally": tally,
        "acked": sum(len(writer.acked) for writer in writers),
        "missing": sum(len(set(w.acked) - set(stored[w.name])) for w in writers),
        "recoveries": ", ".join(f"{seconds:.2f}" for seconds in recoveries),
        "seconds": time.perf_counter() - started,
    }


def test_acked_appends_survive_immediate_postgres_restarts(
    throwaway_postgres: ThrowawayPostgres, postgres_conninfo: str
) -> None:
    """4 crash restarts under load: every acked event is read back, once, in order."""
    run_seed = seed(17_001)
    writers = [
        Writer("own-connection", postgres_conninfo, run_seed + 1, pool=False),
        Writer("pool", postgres_conninfo, run_seed + 2, pool=True),
    ]
    run = _restarts(throwaway_postgres, writers, run_seed)
    print(
        f"G17 PostgreSQL: seed {run_seed}, 4 immediate restarts in {run['seconds']:.2f} s, "
        f"{run['acked']} acked events, {run['missing']} missing; writers acked again "
        f"{run['recoveries']} s after each pg_ctl restart returned; errors retried "
        f"{dict(run['tally'])}"
    )
    assert [writer.error for writer in writers] == [None, None]
    assert run["missing"] == 0
    for writer in writers:
        assert run["stored"][writer.name] == writer.acked, f"{writer.name}: exactly the acks"
    tally = run["tally"]
    assert tally["connection lost, nothing stored"] + tally["outcome unknown"] > 0


def test_the_ack_before_commit_twin_loses_acked_appends_in_postgres_restarts(
    throwaway_postgres: ThrowawayPostgres, postgres_conninfo: str
) -> None:
    """The same restarts against writers that ack before they commit: acked ids go missing."""
    run_seed = seed(17_004)
    writers = [
        Writer("twin-own-connection", postgres_conninfo, run_seed + 1, pool=False, twin=True),
        Writer("twin-pool", postgres_conninfo, run_seed + 2, pool=True, twin=True),
    ]
    run = _restarts(throwaway_postgres, writers, run_seed)
    print(
        f"G17 PostgreSQL, ack-before-commit twin: seed {run_seed}, 4 immediate restarts, "
        f"{run['acked']} acked events, {run['missing']} missing; errors {dict(run['tally'])}"
    )
    assert run["missing"] > 0


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    server = Forker()
    yield server
    server.close()


def _line_count(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def _kill_writers(
    forker: Forker, path: Path, runs: int, run_seed: int, *, twin: bool
) -> dict[str, Any]:
    """Start a writer per run, SIGKILL it a random moment after its first ack; check the file."""
    rng = random.Random(run_seed)
    ledger = path.with_suffix(".acks")
    label = "twin" if twin else "run"
    for run in range(runs):
        before = _line_count(ledger)
        [pid] = forker.fork(
            "sqlite_writer",
            path=str(path),
            ledger=str(ledger),
            stream_id=f"g17-{label}-{run}",
            twin=twin,
        )
        deadline = time.monotonic() + 20
        while _line_count(ledger) == before:
            assert time.monotonic() < deadline, "the writer acked nothing"
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(pid, signal.SIGKILL)
        assert forker.wait([pid]) == [-signal.SIGKILL]
    acked = [UUID(line) for line in ledger.read_text().split()]
    events = recorded_events(path)
    stored = Counter(event.event_id for event in events)
    versions: dict[str, list[int]] = {}
    for event in events:
        versions.setdefault(event.stream_id, []).append(event.stream_version)
    checker = SQLiteConnection(path)
    integrity = checker.fetch("PRAGMA integrity_check")
    checker.close()
    return {
        "acked": len(acked),
        "missing": [str(event_id) for event_id in acked if event_id not in stored],
        "duplicated": [str(event_id) for event_id, n in stored.items() if n > 1],
        "gaps": [s for s, v in versions.items() if v != list(range(1, len(v) + 1))],
        "integrity": integrity,
        "stored": len(events),
    }


def test_acked_sqlite_appends_survive_their_writer_being_killed(
    forker: Forker, sqlite_path: Path
) -> None:
    """15 SIGKILLed writers: every acked event is stored and the file is intact."""
    run_seed = seed(17_002)
    started = time.perf_counter()
    found = _kill_writers(forker, sqlite_path, 15, run_seed, twin=False)
    print(
        f"G17 SQLite: seed {run_seed}, 15 writers killed in {time.perf_counter() - started:.2f} s, "
        f"{found['acked']} acked, {found['stored']} stored, {len(found['missing'])} missing, "
        f"integrity {found['integrity']}"
    )
    assert found["missing"] == []
    assert found["duplicated"] == []
    assert found["gaps"] == []
    assert found["integrity"] == [("ok",)]


def test_the_ack_before_commit_twin_loses_acked_appends_when_killed(
    forker: Forker, sqlite_path: Path
) -> None:
    """5 killed twins (synchronous=OFF, ack before commit): some acked id is not stored."""
    run_seed = seed(17_003)
    found = _kill_writers(forker, sqlite_path, 5, run_seed, twin=True)
    print(
        f"G17 SQLite, ack-before-commit twin: seed {run_seed}, 5 writers killed, "
        f"{found['acked']} acked, {found['stored']} stored, {len(found['missing'])} missing"
    )
    assert found["missing"] != []
