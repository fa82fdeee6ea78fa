"""The harness of the G2 event-store tests: an append is stored all or nothing.

It holds seeded trials (a 100-event append to one stream, or a commit of 2 streams x 50
events + 3 outbox rows + a checkpoint), a connection wrapper that sends tactica's
multi-row event INSERT one row at a time and strikes a fault at the k-th event (raise,
or ``os._exit(137)``) and, for the broken twin, commits after every event, the checks
that count each trial's rows, a PostgreSQL trigger that parks a writer at its k-th event
on an advisory lock held by the test, and a forking server that runs the SQLite writers
which kill themselves.

The forking server is this module run as a child interpreter (`serve`): it forks one
worker per request and answers with the worker's exit code. Forking from a process that
already imported tactica starts a worker in milliseconds, and that process has no threads
and no open database, so the fork is safe.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from _uow_harness import KILLED, InjectedFault

from tactica.outbox import OutboxMessage
from tactica.ports import NO_STREAM, AppendResult, NewEvent, StreamAppend
from tactica.stores._sql._dialect import dialect_named
from tactica.stores._sql._event_rows import insert_events
from tactica.stores._sql._event_store_sync import SQLEventStore, kept_connection
from tactica.stores.sqlite import SQLiteConnection

HERE = Path(__file__).resolve().parent
EVENTS = 100  # events per trial, whatever its kind
AFTER_COMMIT = EVENTS + 1  # a fault point: just after COMMIT returned (all must be stored)
OUTBOX_ROWS = 3  # outbox rows of a "commit" trial
CHECKPOINT_POSITION = 4_242
PARKING_LOCK = 4_970_002  # the advisory lock key a parked PostgreSQL writer waits on
EVENT_TYPE = "tests.g2.appended"
INSERT_EVENT = "INSERT INTO tactica_events"


# Trials ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """One store call, and the fault point ``at`` it is broken at.

    ``kind`` "append" is ``store.append`` of 100 events to one new stream; "commit" is
    ``store.commit`` of 50 events to each of two new streams, 3 outbox rows and a
    checkpoint. ``at`` 1..100 is the k-th event INSERT of the call, counted over both
    streams; `AFTER_COMMIT` is just after COMMIT returned. Every stream, outbox row
    (correlation id) and checkpoint name carries ``key``, so the rows of a trial are
    counted apart from every other trial's.
    """

    key: str
    kind: str  # "append" or "commit"
    at: int

    @property
    def streams(self) -> tuple[str, ...]:
        if self.kind == "append":
            return (f"g2-{self.key}",)
        return (f"g2-{self.key}-a", f"g2-{self.key}-b")

    @property
    def per_stream(self) -> int:
        return EVENTS // len(self.streams)

    @property
    def outbox_rows(self) -> int:
        return OUTBOX_ROWS if self.kind == "commit" else 0

    @property
    def checkpoints(self) -> int:
        return 1 if self.kind == "commit" else 0

    @property
    def checkpoint_name(self) -> str:
        return f"g2-{self.key}"

    @property
    def expected(self) -> str:
        """What must be stored: "all" if the fault struck after COMMIT, else "none"."""
        return "all" if self.at == AFTER_COMMIT else "none"

    def park_point(self) -> tuple[str, int]:
        """The stream and version of the ``at``-th event INSERT."""
        index, version = divmod(self.at - 1, self.per_stream)
        return self.streams[index], version + 1

    def build(self) -> Call:
        """Return the call's arguments, with new event and message ids."""
        now = datetime.now(UTC)
        correlation = uuid.UUID(self.key)
        appends = [
            StreamAppend(
                stream,
                [
                    NewEvent(
                        type_name=EVENT_TYPE,
                        payload=json.dumps({"trial": self.key, "n": n}).encode(),
                        event_id=uuid.uuid4(),
                        occurred_at=now,
                        correlation_id=correlation,
                    )
                    for n in range(1, self.per_stream + 1)
                ],
                NO_STREAM,
            )
            for stream in self.streams
        ]
        outbox = [
            OutboxMessage(
                message_id=uuid.uuid4(),
                type_name="tests.g2.announced",
                schema_version=1,
                payload=json.dumps({"trial": self.key, "n": n}).encode(),
                occurred_at=now,
                correlation_id=correlation,
                causation_id=None,
            )
            for n in range(self.outbox_rows)
        ]
        checkpoint = (self.checkpoint_name, CHECKPOINT_POSITION) if self.checkpoints else None
        return Call(self.kind, appends, outbox, checkpoint)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Call:
    """A trial's store call, built once so that a retry sends the very same ids."""

    kind: str
    appends: list[StreamAppend]
    outbox: list[OutboxMessage]
    checkpoint: tuple[str, int] | None

    def run(self, store: Any) -> list[AppendResult]:
        if self.kind == "append":
            part = self.appends[0]
            return [store.append(part.stream_id, part.events, part.expected_version)]
        results: list[AppendResult] = store.commit(
            self.appends, outbox=self.outbox, checkpoint=self.checkpoint
        )
        return results


def make_trials(run_seed: int, count: int, kind: str, *, after_commit: int = 0) -> list[Trial]:
    """Return `count` seeded trials broken at a random event INSERT 1..100, plus
    `after_commit` trials broken just after COMMIT, in a seeded order."""
    rng = random.Random(run_seed)
    points = [rng.randint(1, EVENTS) for _ in range(count)] + [AFTER_COMMIT] * after_commit
    rng.shuffle(points)
    return [Trial(str(uuid.UUID(int=rng.getrandbits(128), version=4)), kind, at) for at in points]


def attempt(call: Call, store: Any) -> BaseException | None:
    """Run one call; return the error its caller got, or None if it returned."""
    try:
        call.run(store)
    except Exception as error:  # noqa: BLE001 - the outcome is the value the test checks
        return error
    return None


# Fault injection, and the broken twin ------------------------------------------------------------


class HookedConnection:
    """Passes every call to a real tactica connection, and counts the event INSERTs.

    ``action`` "raise" raises `InjectedFault` instead of the ``at``-th event INSERT;
    "exit" ends the process with ``os._exit(137)`` right after the ``at``-th event INSERT
    (or, with ``at == AFTER_COMMIT``, right after COMMIT): no rollback, no cleanup, what a
    SIGKILL leaves. ``commit_each`` is the broken twin: every event INSERT is followed by
    COMMIT and a new BEGIN, so each event is its own transaction.
    """

    def __init__(
        self, inner: Any, *, at: int = 0, action: str = "none", commit_each: bool = False
    ) -> None:
        self.inner = inner
        self.at = at
        self.action = action
        self.commit_each = commit_each
        self.event_inserts = 0

    @property
    def dialect(self) -> str:
        dialect: str = self.inner.dialect
        return dialect

    @property
    def schema(self) -> Any:
        return self.inner.schema

    @property
    def unique_violation(self) -> Any:
        return self.inner.unique_violation

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        assert not sql.startswith(INSERT_EVENT), "events are inserted with fetch (RETURNING)"
        changed: int = self.inner.execute(sql, parameters)
        return changed

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if not sql.startswith(INSERT_EVENT):
            rows: list[tuple[Any, ...]] = self.inner.fetch(sql, parameters)
            return rows
        # tactica inserts a stream's events in one statement; sent here one row at a time,
        # a fault can strike between any two events of the transaction.
        single = insert_events(dialect_named(self.dialect), 1)
        width = single.count("?")
        answered: list[tuple[Any, ...]] = []
        for start in range(0, len(parameters), width):
            answered.extend(self._insert_one(single, parameters[start : start + width]))
        return answered

    def _insert_one(self, sql: str, row: Sequence[Any]) -> list[tuple[Any, ...]]:
        self.event_inserts += 1
        striking = self.event_inserts == self.at
        if striking and self.action == "raise":
            raise InjectedFault(f"injected at event INSERT {self.at} of {EVENTS}")
        rows: list[tuple[Any, ...]] = self.inner.fetch(sql, row)
        if self.commit_each:
            # The guard removed: what is inserted so far is stored, whatever comes next.
            self.inner.commit()
            self.inner.begin()
        if striking and self.action == "exit":
            os._exit(KILLED)
        return rows

    def begin(self) -> None:
        self.inner.begin()

    def commit(self) -> None:
        self.inner.commit()
        if self.at == AFTER_COMMIT and self.action == "exit":
            os._exit(KILLED)

    def rollback(self) -> None:
        self.inner.rollback()

    def close(self) -> None:
        self.inner.close()


def hooked_store(inner: Any, **hook: Any) -> SQLEventStore:
    """tactica's SQL event store (the class SQLite and PostgreSQL stores are) on `inner`."""
    return SQLEventStore(kept_connection(HookedConnection(inner, **hook)))


# Checks ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A trial's rows in the database."""

    events: tuple[int, ...]  # per stream
    contiguous: bool  # every stream's versions run 1..its count
    outbox: int
    checkpoints: int

    @property
    def rows(self) -> int:
        return sum(self.events) + self.outbox + self.checkpoints


@dataclass(frozen=True)
class Snapshot:
    """Every trial's rows, and the event rows no trial accounts for."""

    found: dict[str, Found]
    unplanned_events: int


def snapshot(connection: Any, trials: Sequence[Trial]) -> Snapshot:
    """Count each trial's rows through a tactica connection (``?`` placeholders)."""
    found: dict[str, Found] = {}
    for trial in trials:
        events: list[int] = []
        contiguous = True
        for stream in trial.streams:
            ((count, low, high),) = connection.fetch(
                "SELECT count(*), COALESCE(MIN(stream_version), 0),"
                " COALESCE(MAX(stream_version), 0) FROM tactica_events WHERE stream_id = ?",
                (stream,),
            )
            events.append(int(count))
            contiguous = contiguous and (count == 0 or (low, high) == (1, count))
        ((outbox,),) = connection.fetch(
            "SELECT count(*) FROM tactica_outbox WHERE correlation_id = ?", (trial.key,)
        )
        ((checkpoints,),) = connection.fetch(
            "SELECT count(*) FROM tactica_checkpoints WHERE name = ?", (trial.checkpoint_name,)
        )
        found[trial.key] = Found(tuple(events), contiguous, int(outbox), int(checkpoints))
    ((total,),) = connection.fetch("SELECT count(*) FROM tactica_events")
    planned = sum(sum(one.events) for one in found.values())
    return Snapshot(found, int(total) - planned)


def outcome(found: Found, trial: Trial) -> str:
    """Return "all", "none" or "partial": how much of the trial's call is stored."""
    if found.rows == 0:
        return "none"
    complete = (
        found.events == (trial.per_stream,) * len(trial.streams)
        and found.contiguous
        and found.outbox == trial.outbox_rows
        and found.checkpoints == trial.checkpoints
    )
    return "all" if complete else "partial"


def violations(stored: Snapshot, trials: Sequence[Trial], expect: str | None = None) -> list[str]:
    """Return every breach of G2 (all rows or none, as the fault point says); [] if none.

    `expect` ("all" or "none") overrides what each trial's fault point says must be stored.
    """
    breaches = []
    for index, trial in enumerate(trials):
        found = stored.found[trial.key]
        got = outcome(found, trial)
        expected = expect or trial.expected
        label = f"trial {index} ({trial.kind}, fault at {trial.at})"
        if got == "partial":
            breaches.append(
                f"{label}: partial, events {found.events} of {trial.per_stream} per stream "
                f"(contiguous: {found.contiguous}), outbox {found.outbox} of "
                f"{trial.outbox_rows}, checkpoints {found.checkpoints} of {trial.checkpoints}"
            )
        elif got != expected:
            breaches.append(f"{label}: expected {expected} stored, found {got}")
    if stored.unplanned_events:
        breaches.append(f"{stored.unplanned_events} event rows of no trial")
    return breaches


# PostgreSQL: parking a writer at its k-th event (Marten #4964) -----------------------------------

_PARKING_DDL = (
    "CREATE TABLE g2_parking (stream_id TEXT PRIMARY KEY, version BIGINT NOT NULL)",
    f"""
CREATE FUNCTION g2_park() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows 1..k-1 of the writer's transaction are in; row k waits for the test's lock.
    IF EXISTS (
        SELECT 1 FROM g2_parking
        WHERE stream_id = NEW.stream_id AND version = NEW.stream_version
    ) THEN
        PERFORM pg_advisory_xact_lock({PARKING_LOCK});
    END IF;
    RETURN NEW;
END
$$
""",
    (
        "CREATE TRIGGER g2_park BEFORE INSERT ON tactica_events "
        "FOR EACH ROW EXECUTE FUNCTION g2_park()"
    ),
)
_DROP_PARKING = (
    "DROP TRIGGER IF EXISTS g2_park ON tactica_events",
    "DROP FUNCTION IF EXISTS g2_park()",
    "DROP TABLE IF EXISTS g2_parking",
)
_USER_TRIGGERS = (
    "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tactica_events'::regclass"
    " AND NOT tgisinternal"
)


class Parking:
    """The test's control connection: holds the lock a parked writer waits on, and kills it.

    The control connection holds ``pg_advisory_lock`` (session level) for all its trials;
    the trigger waits with ``pg_advisory_xact_lock``, so a writer that ever got the lock
    would let it go with its transaction rather than keep it for the next trial.
    """

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self.control = psycopg.connect(conninfo, autocommit=True)
        for statement in _PARKING_DDL:
            self.control.execute(statement)
        self.control.execute(f"SELECT pg_advisory_lock({PARKING_LOCK})")

    def park(self, trial: Trial) -> None:
        """Make the trial's writer wait before its ``trial.at``-th event INSERT."""
        self.control.execute("INSERT INTO g2_parking VALUES (%s, %s)", trial.park_point())

    def parked_writer(self, running: threading.Thread, timeout: float = 20.0) -> int:
        """Return the pid of the backend waiting on the parking lock, once there is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.control.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0"
                " AND objid = %s AND NOT granted AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())",
                (PARKING_LOCK,),
            ).fetchone()
            if row is not None:
                pid: int = row[0]
                return pid
            if not running.is_alive():
                msg = "the writer ended without parking at its event"
                raise AssertionError(msg)
            time.sleep(0.002)
        msg = f"no backend parked on advisory lock {PARKING_LOCK} within {timeout} s"
        raise AssertionError(msg)

    def kill(self, pid: int) -> None:
        (terminated,) = self.control.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
        assert terminated, f"pg_terminate_backend({pid}) found no such backend"

    def close(self) -> int:
        """Drop the trigger, its function and table; return the user triggers left (0)."""
        try:
            for statement in _DROP_PARKING:
                self.control.execute(statement)
            (left,) = self.control.execute(_USER_TRIGGERS).fetchone()
        finally:
            self.control.close()  # also releases the lock, so nothing can stay parked
        return int(left)


def attempt_killed(parking: Parking, trial: Trial, call: Call, store: Any) -> BaseException | None:
    """Park the trial's call at its ``at``-th event INSERT, terminate its backend, join it."""
    parking.park(trial)
    told: list[BaseException | None] = []
    writer = threading.Thread(target=lambda: told.append(attempt(call, store)))
    writer.start()
    try:
        parking.kill(parking.parked_writer(writer))
    finally:
        writer.join(timeout=30)
    assert not writer.is_alive(), "the killed writer never returned"
    assert told, "the writer neither returned nor raised"
    return told[0]


# SQLite: a writer process that kills itself at its k-th event ------------------------------------


def crash_writer(path: str, trial: dict[str, Any], twin: bool) -> None:
    """Run one trial's call on a SQLite file; the hook ends the process at the trial's point."""
    planned = Trial(**trial)
    inner = SQLiteConnection(path)
    store = hooked_store(inner, at=planned.at, action="exit", commit_each=twin)
    planned.build().run(store)


def serve() -> None:
    """Answer JSON requests on stdin, one per line: fork a writer, reply with its exit code."""
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _work(request)
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        sys.stdout.write(json.dumps(code) + "\n")
        sys.stdout.flush()


def _work(request: dict[str, Any]) -> NoReturn:
    code = 0
    try:
        crash_writer(**request)
    except BaseException:  # noqa: BLE001 - reported by exit status; the traceback goes to stderr
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


class Forker:
    """The test side of `serve`: one child interpreter that forks the writers asked for."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import _g2_event_store_harness as h; h.serve()"],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, path: Path, trial: Trial, *, twin: bool) -> int:
        """Run one trial's writer in a forked process; return its exit code."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        request = {"path": str(path), "trial": trial.to_json(), "twin": twin}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            msg = f"the forking server exited with {self.process.wait()}"
            raise RuntimeError(msg)
        code: int = json.loads(line)
        return code

    def close(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    """Run `function`; return its result and the seconds it took."""
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started
