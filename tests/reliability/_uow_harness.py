"""The shared harness of the G2, G7 and G18 reliability tests.

It holds a small model (ledgers that note a trial and record integration events, and a
counter), tactica's units of work with a fault-injecting connection, their broken twins,
seeded trial plans, and the checks that read a database back after a run.

The same module is the child process that crashes: `serve` answers requests on stdin by
forking a worker per request. Forking from a process that already imported tactica starts
a worker in milliseconds rather than the ~0.3 s of a fresh interpreter, and that process
has no threads and no open database, so the fork is safe.
"""

from __future__ import annotations

import functools
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from tactica import ConcurrencyError, message_context
from tactica.dataclasses import AggregateRoot, DomainEvent
from tactica.errors import LockTimeoutError
from tactica.outbox import OutboxMessage
from tactica.stores._sql._outbox import INSERT_OUTBOX, outbox_row
from tactica.stores.postgres import PostgresUnitOfWork
from tactica.stores.sqlalchemy import SQLAlchemyUnitOfWork, sqlite_engine
from tactica.stores.sqlite import SQLiteConnection, SQLiteUnitOfWork

HERE = Path(__file__).resolve().parent
LEDGER_TYPE = "tests.reliability.ledger"
COUNTER_TYPE = "tests.reliability.counter"
NOTED = "tests.reliability.noted"
SHARED_LEDGERS = tuple(f"shared-{n}" for n in range(5))
KILLED = 137  # 128 + SIGKILL, as a shell reports a killed process; os._exit(137) mimics it
PARKING_LOCK = 4_970_001  # the advisory lock key parked PostgreSQL victims wait on


def seed(default: int) -> int:
    """Return the run's seed: `default`, unless TACTICA_RELIABILITY_SEED replays another."""
    return int(os.environ.get("TACTICA_RELIABILITY_SEED", str(default)))


# The model ---------------------------------------------------------------------------------


class Noted(DomainEvent, name=NOTED, integration=True):
    """An integration event: each one must become exactly one outbox row, with its change."""

    ledger_id: str
    seq: int


class Audited(DomainEvent, name="tests.reliability.audited"):
    """A domain-only event: it must never reach the outbox."""

    ledger_id: str


class Ledger(AggregateRoot[str]):
    """Lists the trials that changed it, so a stored change can be told by its trial key."""

    trials: list[str] = field(default_factory=list)

    def note(self, trial: str, events: int) -> None:
        self.trials.append(trial)
        for seq in range(events):
            self.record(Noted(ledger_id=self.id, seq=seq))
        self.record(Audited(ledger_id=self.id))


class Bumped(DomainEvent, name="tests.reliability.bumped", integration=True):
    value: int


class Counter(AggregateRoot[str]):
    value: int = 0

    def bump(self) -> None:
        self.value += 1
        self.record(Bumped(value=self.value))


# Fault injection ---------------------------------------------------------------------------


class InjectedFault(Exception):
    """The failure a test injects; anything else a unit of work raises is a finding."""


@dataclass(frozen=True)
class Fault:
    """Where a commit fails, counted in steps of the commit, and how.

    Step ``k`` for 1 <= k <= rows is just before the k-th outbox INSERT (every aggregate
    write is done by then); ``rows + 1`` is just before COMMIT; ``rows + 2`` just after it.
    """

    at: int
    rows: int
    action: str  # "raise" or "exit"

    def strike(self) -> None:
        if self.action == "exit":
            # No cleanup, no rollback, no flush: what a SIGKILL or a power cut leaves.
            os._exit(KILLED)
        raise InjectedFault(f"injected at step {self.at} of {self.rows + 2}")


class FaultyConnection:
    """Passes every call to a real tactica connection and strikes its fault on the way."""

    def __init__(self, inner: Any, fault: Fault | None) -> None:
        self.inner = inner
        self.fault = fault
        self.outbox_inserts = 0

    @property
    def schema(self) -> Any:
        return self.inner.schema

    @property
    def unique_violation(self) -> Any:
        return self.inner.unique_violation

    def execute(self, sql: str, parameters: Any = ()) -> int:
        if sql.startswith("INSERT INTO tactica_outbox"):
            self.outbox_inserts += 1
            if self.fault is not None and self.outbox_inserts == self.fault.at:
                self.fault.strike()
        changed: int = self.inner.execute(sql, parameters)
        return changed

    def fetch(self, sql: str, parameters: Any = ()) -> Any:
        return self.inner.fetch(sql, parameters)

    def begin(self) -> None:
        self.inner.begin()

    def commit(self) -> None:
        # Only the COMMIT that follows the last outbox row; the split twin commits twice.
        final = self.fault is not None and self.outbox_inserts == self.fault.rows
        if final and self.fault is not None and self.fault.at == self.fault.rows + 1:
            self.fault.strike()
        self.inner.commit()
        if final and self.fault is not None and self.fault.at == self.fault.rows + 2:
            self.fault.strike()

    def rollback(self) -> None:
        self.inner.rollback()

    def close(self) -> None:
        self.inner.close()


# The units of work under test, and their broken twins ---------------------------------------


class SQLiteLedgerWork(SQLiteUnitOfWork):
    """tactica's SQLite unit of work, with its own connection wrapped to inject a fault."""

    def __init__(self, path: str | Path, fault: Fault | None = None) -> None:
        super().__init__(path)
        self.connection = FaultyConnection(self.connection, fault)
        self.ledgers = self.repository(Ledger, type_name=LEDGER_TYPE)


@functools.cache
def _sessions_on(path: str | Path) -> sessionmaker[Session]:
    return sessionmaker(sqlite_engine(path, poolclass=NullPool))


class SQLAlchemyLedgerWork(SQLAlchemyUnitOfWork):
    """tactica's SQLAlchemy unit of work on a SQLite file, its connection wrapped likewise."""

    def __init__(self, path: str | Path, fault: Fault | None = None) -> None:
        super().__init__(_sessions_on(path))
        self.connection = FaultyConnection(self.connection, fault)
        self.ledgers = self.repository(Ledger, type_name=LEDGER_TYPE)


class PostgresLedgerWork(PostgresUnitOfWork):
    """tactica's PostgreSQL unit of work, with its own connection wrapped to inject a fault."""

    def __init__(self, conninfo: str, fault: Fault | None = None) -> None:
        super().__init__(conninfo)
        self.connection = FaultyConnection(self.connection, fault)
        self.ledgers = self.repository(Ledger, type_name=LEDGER_TYPE)


class _SplitCommit:
    """The broken twin: the domain change and its outbox rows commit in two transactions."""

    connection: Any
    _repositories: list[Any]

    def _store(self, outbox: list[OutboxMessage]) -> None:
        self.connection.begin()
        try:
            writes = [(repository, repository.write()) for repository in self._repositories]
            # The guard removed: a crash from here on keeps the change and loses its messages.
            self.connection.commit()
            self.connection.begin()
            for message in outbox:
                self.connection.execute(INSERT_OUTBOX, outbox_row(message))
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        for repository, written in writes:
            repository.acknowledge(written)


class SplitSQLiteLedgerWork(_SplitCommit, SQLiteLedgerWork):
    """The SQLite unit of work with the outbox committed separately."""


class SplitPostgresLedgerWork(_SplitCommit, PostgresLedgerWork):
    """The PostgreSQL unit of work with the outbox committed separately."""


class DeferredSQLiteConnection(SQLiteConnection):
    """The G18 broken twin's connection: a deferred ``BEGIN`` and a 1 ms busy timeout."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, busy_timeout=0.001)

    def begin(self) -> None:
        self._raw.execute("BEGIN")


class CounterWork(SQLiteUnitOfWork):
    """tactica's SQLite unit of work over one counter; `deferred` swaps in the twin's connection."""

    def __init__(self, path: str | Path, *, deferred: bool = False) -> None:
        super().__init__(path)
        if deferred:
            self.connection.close()
            self.connection = DeferredSQLiteConnection(path)
        self.counters = self.repository(Counter, type_name=COUNTER_TYPE)


# Trials --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One unit of work: create a ledger, change some shared ones, maybe fail somewhere.

    ``key`` is the correlation id of all its events, so outbox rows are keyed by it, and
    the ledgers it changes list it, so its domain change is keyed by it too.
    """

    key: str
    ledgers: tuple[str, ...]
    events: tuple[int, ...]  # integration events recorded on the new ledger, then each shared one
    failure: str = "none"  # none, raise_before_commit, raise, exit, kill
    at: int = 0  # the commit step the failure strikes at (see Fault)

    @property
    def new_ledger(self) -> str:
        return f"ledger-{self.key}"

    @property
    def touched(self) -> tuple[str, ...]:
        return (self.new_ledger, *self.ledgers)

    @property
    def rows(self) -> int:
        return sum(self.events)

    @property
    def expected(self) -> str:
        """What must be stored: "all" if the commit completed, else "none"."""
        completed = self.failure == "none" or (self.failure == "exit" and self.at == self.rows + 2)
        return "all" if completed else "none"

    def fault(self) -> Fault | None:
        if self.failure in {"raise", "exit"}:
            return Fault(self.at, self.rows, self.failure)
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(**{**data, "ledgers": tuple(data["ledgers"]), "events": tuple(data["events"])})


def make_plans(run_seed: int, count: int, failures: tuple[str, ...], rate: float) -> list[Plan]:
    """Return `count` seeded plans; a `rate` share of them fail, in one of `failures` ways.

    Each writes 5 to 20 outbox rows over one new and up to two shared ledgers. A failure
    strikes at a random commit step: "raise" anywhere up to COMMIT, "exit" anywhere up to
    just after it, "kill" (a parked and terminated PostgreSQL backend) at an outbox row.
    """
    rng = random.Random(run_seed)
    plans = []
    for _ in range(count):
        key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        ledgers = tuple(rng.sample(SHARED_LEDGERS, rng.randint(0, 2)))
        rows = rng.randint(5, 20)
        parts = len(ledgers) + 1
        events = tuple(rows // parts + int(part < rows % parts) for part in range(parts))
        failure = rng.choice(failures) if rng.random() < rate else "none"
        last_step = {"raise": rows + 1, "exit": rows + 2, "kill": rows}.get(failure, 0)
        at = rng.randint(1, last_step) if last_step else 0
        plans.append(Plan(key, ledgers, events, failure, at))
    return plans


def run_plan(new_work: Callable[[Fault | None], Any], plan: Plan) -> None:
    """Run one planned unit of work; raise whatever it raised."""
    with (
        message_context(correlation_id=uuid.UUID(plan.key)),
        new_work(plan.fault()) as uow,
    ):
        created = Ledger(id=plan.new_ledger)
        uow.ledgers.add(created)
        created.note(plan.key, plan.events[0])
        for ledger_id, events in zip(plan.ledgers, plan.events[1:], strict=True):
            uow.ledgers.get(ledger_id).note(plan.key, events)
        if plan.failure == "raise_before_commit":
            msg = "injected before commit"
            raise InjectedFault(msg)
        uow.commit()


def attempt(new_work: Callable[[Fault | None], Any], plan: Plan) -> Exception | None:
    """Run one plan; return the error its caller got, or None if it committed."""
    try:
        run_plan(new_work, plan)
    except Exception as error:  # noqa: BLE001 - the outcome is the value the caller checks
        return error
    return None


def ack(error: Exception | None) -> str:
    """Say what a caller learnt, as a ledger records it: "committed" or "failed: <error>"."""
    return "committed" if error is None else f"failed: {error!r}"


def add_shared_ledgers(new_work: Callable[[Fault | None], Any]) -> None:
    with new_work(None) as uow:
        for ledger_id in SHARED_LEDGERS:
            uow.ledgers.add(Ledger(id=ledger_id))
        uow.commit()


# Checks --------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What the database holds: whose changes are stored, and the outbox rows per key."""

    noted_in: dict[str, set[str]]  # trial key -> ids of the ledgers that list it
    outbox: Tally[str]  # correlation id -> outbox rows of the integration event
    foreign_rows: int  # outbox rows of any other type


def snapshot(connection: Any) -> Snapshot:
    """Read every ledger and every outbox row through a tactica connection."""
    noted_in: dict[str, set[str]] = {}
    rows = connection.fetch(
        "SELECT aggregate_id, state FROM tactica_aggregates WHERE aggregate_type = ?",
        (LEDGER_TYPE,),
    )
    for ledger_id, state in rows:
        for key in json.loads(bytes(state))["trials"]:
            noted_in.setdefault(key, set()).add(ledger_id)
    outbox: Tally[str] = Tally()
    foreign_rows = 0
    for correlation_id, type_name in connection.fetch(
        "SELECT correlation_id, type_name FROM tactica_outbox"
    ):
        if type_name == NOTED:
            outbox[correlation_id] += 1
        else:
            foreign_rows += 1
    return Snapshot(noted_in, outbox, foreign_rows)


def outcome(found: Snapshot, plan: Plan) -> str:
    """Return "all", "none" or "partial": how much of the plan's unit of work is stored."""
    stored = len(found.noted_in.get(plan.key, set()) & set(plan.touched))
    rows = found.outbox.get(plan.key, 0)
    if stored == 0 and rows == 0:
        return "none"
    if stored == len(plan.touched) and rows == plan.rows:
        return "all"
    return "partial"


def violations(found: Snapshot, plans: list[Plan], acks: dict[str, str]) -> list[str]:
    """Return every breach of G2 (all or nothing) and G7 (outbox iff change); [] if none.

    `acks` maps a plan's key to what its caller was told ("committed" or "failed: ...");
    a plan whose process died has none.
    """
    breaches = []
    for index, plan in enumerate(plans):
        label = f"trial {index} ({plan.failure} at step {plan.at} of {plan.rows + 2})"
        got = outcome(found, plan)
        if got == "partial":
            stored = len(found.noted_in.get(plan.key, set()) & set(plan.touched))
            breaches.append(
                f"{label}: partial, {stored} of {len(plan.touched)} aggregates changed and "
                f"{found.outbox.get(plan.key, 0)} of {plan.rows} outbox rows"
            )
        elif got != plan.expected:
            breaches.append(f"{label}: expected {plan.expected} stored, found {got}")
        ack = acks.get(plan.key)
        if ack == "committed" and got != "all":
            breaches.append(f"{label}: its caller was told it committed, found {got}")
        if ack is not None and ack.startswith("failed") and plan.expected == "all":
            breaches.append(f"{label}: unexpected failure {ack}")
        if plan.failure.startswith("raise") and ack is not None and "InjectedFault" not in ack:
            breaches.append(f"{label}: the injected error did not reach the caller: {ack}")
    changed, announced = set(found.noted_in), set(found.outbox)
    breaches += [f"outbox rows without their change: {key}" for key in sorted(announced - changed)]
    breaches += [f"a change without its outbox rows: {key}" for key in sorted(changed - announced)]
    planned = {plan.key for plan in plans}
    breaches += [f"unplanned key: {key}" for key in sorted((changed | announced) - planned)]
    if found.foreign_rows:
        breaches.append(f"{found.foreign_rows} outbox rows of events that are not integration")
    return breaches


def read_acks(path: Path) -> dict[str, str]:
    """Read a ledger of acks written by `serve`'s workers: one "<key> <ack>" line each."""
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines)


# PostgreSQL: parking a victim inside its transaction (Marten #4964) -------------------------

_PARKING_DDL = (
    "CREATE TABLE tactica_test_parking (correlation_id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
    f"""
CREATE FUNCTION tactica_test_park() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    spec record;
BEGIN
    SELECT at INTO spec FROM tactica_test_parking WHERE correlation_id = NEW.correlation_id;
    -- The victim's earlier rows are visible to its own transaction: park before row `at`.
    IF FOUND AND (
        SELECT count(*) FROM tactica_outbox WHERE correlation_id = NEW.correlation_id
    ) = spec.at - 1 THEN
        PERFORM pg_advisory_xact_lock({PARKING_LOCK});
    END IF;
    RETURN NEW;
END
$$
""",
    (
        "CREATE TRIGGER tactica_test_park BEFORE INSERT ON tactica_outbox "
        "FOR EACH ROW EXECUTE FUNCTION tactica_test_park()"
    ),
)


class Parking:
    """The test's control connection: it holds the lock parked victims wait on, and kills them."""

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self.control = psycopg.connect(conninfo, autocommit=True)
        for statement in _PARKING_DDL:
            self.control.execute(statement)
        self.control.execute(f"SELECT pg_advisory_lock({PARKING_LOCK})")

    def park(self, plan: Plan) -> None:
        """Make the plan's unit of work wait before its `plan.at`-th outbox row."""
        self.control.execute(
            "INSERT INTO tactica_test_parking (correlation_id, at) VALUES (%s, %s)",
            (plan.key, plan.at),
        )

    def parked_victim(self, timeout: float = 20.0) -> int:
        """Return the backend pid waiting on the parking lock, once there is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.control.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                f"AND objid = {PARKING_LOCK} AND NOT granted"
            ).fetchone()
            if row is not None:
                pid: int = row[0]
                return pid
            time.sleep(0.002)
        msg = f"no backend parked on advisory lock {PARKING_LOCK} within {timeout} s"
        raise AssertionError(msg)

    def kill(self, pid: int) -> None:
        self.control.execute("SELECT pg_terminate_backend(%s)", (pid,))

    def close(self) -> None:
        self.control.close()  # also releases the lock, so nothing can stay parked


def attempt_killed(
    parking: Parking, new_work: Callable[[Fault | None], Any], plan: Plan
) -> Exception | None:
    """Run a "kill" plan: park its transaction at an outbox row, terminate its backend."""
    parking.park(plan)
    told: list[Exception | None] = []
    victim = threading.Thread(target=lambda: told.append(attempt(new_work, plan)))
    victim.start()
    try:
        parking.kill(parking.parked_victim())
    finally:
        victim.join(timeout=30)
    assert told, "the victim neither finished nor failed"
    return told[0]


# G18: contention ------------------------------------------------------------------------------


def is_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite's "database is locked" (SQLITE_BUSY/SQLITE_LOCKED).

    tactica raises it as `LockTimeoutError` naming the busy timeout; a raw ``sqlite3``
    error would be a leak as well as a busy error.
    """
    if isinstance(error, LockTimeoutError):
        return True
    name = getattr(error, "sqlite_errorname", "") or ""
    return isinstance(error, sqlite3.OperationalError) and (
        name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error)
    )


def contend(
    path: str, counter_id: str, start_at: float, seconds: float, *, deferred: bool
) -> dict[str, Any]:
    """Bump one counter in read-then-write units of work until time is up; tally outcomes.

    A `ConcurrencyError` is the expected conflict and is retried by the next iteration;
    anything else is counted as "busy" or "other", with a few samples.
    """
    tally: Tally[str] = Tally()
    samples: list[str] = []
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + seconds
    while time.time() < deadline:
        try:
            with CounterWork(path, deferred=deferred) as uow:
                uow.counters.get(counter_id).bump()
                uow.commit()
        except ConcurrencyError as error:
            tally["busy" if is_busy(error) else "conflicts"] += 1
        except Exception as error:  # noqa: BLE001 - counted: G18 forbids any of these
            tally["busy" if is_busy(error) else "other"] += 1
            if len(samples) < 5:
                samples.append(repr(error))
        else:
            tally["commits"] += 1
    return {"tally": dict(tally), "samples": samples}


# The forking server ----------------------------------------------------------------------------


def serve() -> None:
    """Answer JSON requests on stdin, one per line, with a line of the workers' exit codes."""
    for line in sys.stdin:
        request = json.loads(line)
        pids = []
        for index in range(request.get("processes", 1)):
            pid = os.fork()
            if pid == 0:
                _work(request, index)
            pids.append(pid)
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
        sys.stdout.write(json.dumps(codes) + "\n")
        sys.stdout.flush()


def _work(request: dict[str, Any], index: int) -> NoReturn:
    code = 0
    try:
        if request["kind"] == "plans":
            _run_plans(request)
        else:
            result = contend(
                request["path"],
                request["counter_id"],
                request["start_at"],
                request["seconds"],
                deferred=request["deferred"],
            )
            Path(f"{request['results']}-{index}.json").write_text(json.dumps(result))
    except BaseException:  # noqa: BLE001 - reported by exit status; the traceback goes to stderr
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


def _run_plans(request: dict[str, Any]) -> None:
    path = request["path"]
    work = SplitSQLiteLedgerWork if request["twin"] else SQLiteLedgerWork
    # Unbuffered appends: a line written is on file even if the next plan kills the process.
    ledger = os.open(request["ledger"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for data in request["plans"]:
            plan = Plan.from_json(data)
            told = ack(attempt(partial(work, path), plan))
            os.write(ledger, f"{plan.key} {told}\n".encode())
    finally:
        os.close(ledger)


class Zygote:
    """The test side of `serve`: one child interpreter that forks the workers asked for."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import _uow_harness; _uow_harness.serve()"],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, **request: Any) -> list[int]:
        """Send one request; return the exit code of each worker it forked."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            msg = f"the forking server exited with {self.process.wait()}"
            raise RuntimeError(msg)
        codes: list[int] = json.loads(line)
        return codes

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
