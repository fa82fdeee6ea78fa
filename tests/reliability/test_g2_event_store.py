"""G2 for the event store on a real SQLite file and a real PostgreSQL: an append is atomic.

Every trial is one store call, broken at a random event k of its 100 INSERTs:

- ``append``: 100 events to one new stream;
- ``commit``: 50 events to each of two new streams, 3 outbox rows and a checkpoint, in one
  `commit`.

It is broken in one of three ways (GUARANTEES.md G2 and §7):

- PostgreSQL: a ``BEFORE INSERT`` trigger on ``tactica_events`` parks the writer's
  transaction at its k-th event on an advisory lock the test holds, and the test
  terminates its backend (Marten #4964); on the session's throwaway server, never the
  shared one;
- an exception raised instead of the k-th event INSERT, on SQLite and PostgreSQL;
- SQLite: the writer's process ends with ``os._exit(137)`` right after its k-th event
  INSERT (a few trials right after COMMIT instead, which must leave every row).

Then each trial's rows are counted (every trial has streams, outbox rows and a checkpoint
of its own): all of them or none, never some. The broken twin is the same store on a
connection that commits after every event INSERT (each event its own transaction); the
same checks must report partial trials against it. Seeds are fixed and printed; set
TACTICA_RELIABILITY_SEED to replay another.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _g2_event_store_harness import (
    KILLED,
    Call,
    Forker,
    Parking,
    Snapshot,
    Trial,
    attempt,
    attempt_killed,
    hooked_store,
    make_trials,
    outcome,
    snapshot,
    timed,
    violations,
)
from _uow_harness import InjectedFault, seed

from tactica.errors import DatabaseConnectionError
from tactica.stores.postgres import PostgresConnection, PostgresEventStore
from tactica.stores.sqlite import SQLiteConnection

KINDS = ["append", "commit"]


def _report(
    name: str, run_seed: int, trials: list[Trial], stored: Snapshot, seconds: float
) -> Counter[str]:
    outcomes = Counter(outcome(stored.found[trial.key], trial) for trial in trials)
    print(
        f"G2 event store, {name}: seed {run_seed}, {len(trials)} trials in {seconds:.2f} s, "
        f"outcomes {dict(outcomes)}"
    )
    return outcomes


def _errors(name: str, told: dict[str, BaseException | None]) -> Counter[str]:
    kinds = Counter(
        "returned" if error is None else type(error).__name__ for error in told.values()
    )
    print(f"G2 event store, {name}: callers were told {dict(kinds)}")
    return kinds


def _clean(kind: str) -> Trial:
    """A trial without a fault, run after the broken ones: it must store all of its rows."""
    return Trial("00000000-0000-4000-8000-000000000000", kind, 0)


def _events_stored(stored: Snapshot, trials: list[Trial]) -> list[int]:
    """The events each trial left: against the twin, where its fault struck (k-1 or k)."""
    return [sum(stored.found[trial.key].events) for trial in trials]


def _read(reader: Any, trials: list[Trial]) -> Snapshot:
    try:
        return snapshot(reader, trials)
    finally:
        reader.close()


# PostgreSQL: the writer's backend terminated at its k-th event ----------------------------------


NewStore = Callable[[], tuple[Any, Callable[[], None]]]


def _tactica_store(conninfo: str) -> NewStore:
    def new() -> tuple[Any, Callable[[], None]]:
        store = PostgresEventStore(conninfo)
        return store, store.close

    return new


def _twin_store(conninfo: str) -> NewStore:
    def new() -> tuple[Any, Callable[[], None]]:
        inner = PostgresConnection(conninfo)
        return hooked_store(inner, commit_each=True), inner.close

    return new


def _killed(
    conninfo: str, trials: list[Trial], new_store: NewStore
) -> tuple[Snapshot, dict[str, BaseException | None], dict[str, Call]]:
    """Park each trial's writer at its k-th event, terminate its backend, then count rows."""
    parking = Parking(conninfo)
    told: dict[str, BaseException | None] = {}
    calls: dict[str, Call] = {}
    try:
        for trial in trials:
            calls[trial.key] = call = trial.build()
            store, close = new_store()
            try:
                told[trial.key] = attempt_killed(parking, trial, call, store)
            finally:
                close()
    finally:
        triggers_left = parking.close()
    assert triggers_left == 0, "the parking trigger was not dropped"
    return _read(PostgresConnection(conninfo), trials), told, calls


@pytest.mark.parametrize("kind", KINDS)
def test_a_postgres_backend_killed_at_any_event_leaves_all_rows_or_none(
    postgres_conninfo: str, kind: str
) -> None:
    """A writer whose backend dies at its k-th event stores none of its rows, is told so
    with `DatabaseConnectionError` (not an unknown outcome), and a retry with the very same
    ids then stores every row once."""
    run_seed = seed({"append": 2_101, "commit": 2_102}[kind])
    trials = make_trials(run_seed, 30, kind)
    (stored, told, calls), seconds = timed(
        lambda: _killed(postgres_conninfo, trials, _tactica_store(postgres_conninfo))
    )
    outcomes = _report(f"PostgreSQL killed backend, {kind}", run_seed, trials, stored, seconds)
    assert violations(stored, trials) == []
    assert outcomes == {"none": 30}
    kinds = _errors(f"PostgreSQL killed backend, {kind}", told)
    assert kinds == {"DatabaseConnectionError": 30}
    assert all(type(error) is DatabaseConnectionError for error in told.values())

    store = PostgresEventStore(postgres_conninfo)
    try:
        first = [result for call in calls.values() for result in call.run(store)]
        # A second retry, outbox rows included, must say "already appended" (G3).
        again = [result for call in calls.values() for result in call.run(store)]
    finally:
        store.close()
    assert not any(result.already_appended for result in first)
    assert all(result.already_appended for result in again)
    retried = _read(PostgresConnection(postgres_conninfo), trials)
    assert violations(retried, trials, expect="all") == []


@pytest.mark.parametrize("kind", KINDS)
def test_the_commit_per_event_twin_keeps_part_of_a_killed_append(
    postgres_conninfo: str, kind: str
) -> None:
    """The same kills against the twin leave trials with only some of their rows."""
    run_seed = seed({"append": 2_103, "commit": 2_104}[kind])
    trials = make_trials(run_seed, 8, kind)
    (stored, told, _), seconds = timed(
        lambda: _killed(postgres_conninfo, trials, _twin_store(postgres_conninfo))
    )
    outcomes = _report(
        f"PostgreSQL killed backend, {kind}, twin", run_seed, trials, stored, seconds
    )
    _errors(f"PostgreSQL killed backend, {kind}, twin", told)
    assert violations(stored, trials) != []
    assert outcomes["partial"] > 0
    assert _events_stored(stored, trials) == [trial.at - 1 for trial in trials], "parked at k"


# An exception at the k-th event INSERT, on SQLite and PostgreSQL -------------------------------


@dataclass(frozen=True)
class Backend:
    name: str
    connect: Callable[[], Any]  # a new tactica connection to the test's database


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """A new database with tactica's schema: a SQLite file, or one on the throwaway server."""
    if request.param == "sqlite":
        path: Path = request.getfixturevalue("sqlite_path")
        return Backend("SQLite", lambda: SQLiteConnection(path))
    conninfo: str = request.getfixturevalue("postgres_conninfo")
    return Backend("PostgreSQL", lambda: PostgresConnection(conninfo))


def _raised(
    backend: Backend, trials: list[Trial], *, twin: bool
) -> tuple[Snapshot, dict[str, BaseException | None], BaseException | None]:
    """Run every trial on one connection, raising at its k-th event INSERT; then one more
    call without a fault, on the same connection, which must store all of its rows."""
    inner = backend.connect()
    told: dict[str, BaseException | None] = {}
    try:
        for trial in trials:
            store = hooked_store(inner, at=trial.at, action="raise", commit_each=twin)
            told[trial.key] = attempt(trial.build(), store)
        after = attempt(_clean(trials[0].kind).build(), hooked_store(inner))
    finally:
        inner.close()
    return _read(backend.connect(), [*trials, _clean(trials[0].kind)]), told, after


@pytest.mark.parametrize("kind", KINDS)
def test_an_exception_at_any_event_insert_stores_nothing_and_reaches_the_caller(
    backend: Backend, kind: str
) -> None:
    """An exception at the k-th event INSERT rolls the whole call back and reaches its
    caller; the connection is left clean, so the next call on it stores all its rows."""
    run_seed = seed({"append": 2_105, "commit": 2_106}[kind])
    trials = make_trials(run_seed, 30, kind)
    (stored, told, after), seconds = timed(lambda: _raised(backend, trials, twin=False))
    name = f"{backend.name} injected exception, {kind}"
    outcomes = _report(name, run_seed, trials, stored, seconds)
    assert violations(stored, trials) == []
    assert outcomes == {"none": 30}
    assert _errors(name, told) == {"InjectedFault": 30}
    assert all(isinstance(error, InjectedFault) for error in told.values())
    assert after is None, "the connection was not left clean after the rollbacks"
    assert violations(stored, [_clean(kind)], expect="all") == []


@pytest.mark.parametrize("kind", KINDS)
def test_the_commit_per_event_twin_keeps_the_events_before_an_exception(
    backend: Backend, kind: str
) -> None:
    """The same exceptions against the twin leave trials with only some of their rows."""
    run_seed = seed({"append": 2_107, "commit": 2_108}[kind])
    trials = make_trials(run_seed, 6, kind)
    (stored, told, _), seconds = timed(lambda: _raised(backend, trials, twin=True))
    name = f"{backend.name} injected exception, {kind}, twin"
    outcomes = _report(name, run_seed, trials, stored, seconds)
    _errors(name, told)
    assert violations(stored, trials) != []
    assert outcomes["partial"] > 0
    assert _events_stored(stored, trials) == [trial.at - 1 for trial in trials], "raised at k"


# SQLite: the writer's process ends with os._exit(137) after its k-th event ----------------------


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    """One child interpreter with tactica imported, which forks the writers that die."""
    server = Forker()
    yield server
    server.close()


def _crashed(forker: Forker, path: Path, trials: list[Trial], *, twin: bool) -> Snapshot:
    codes = Counter(forker.run(path, trial, twin=twin) for trial in trials)
    print(f"G2 event store, SQLite killed process: exit codes {dict(codes)}")
    assert codes == {KILLED: len(trials)}, "every writer must die at its fault point"
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        raw.close()
    return _read(SQLiteConnection(path), trials)


@pytest.mark.parametrize("kind", KINDS)
def test_a_sqlite_writer_killed_at_any_event_leaves_all_rows_or_none(
    forker: Forker, sqlite_path: Path, kind: str
) -> None:
    """A process dying after its k-th event INSERT leaves none of its rows, one dying just
    after COMMIT all of them; the file passes its integrity check and stays writable."""
    run_seed = seed({"append": 2_109, "commit": 2_110}[kind])
    trials = make_trials(run_seed, 30, kind, after_commit=4)
    stored, seconds = timed(lambda: _crashed(forker, sqlite_path, trials, twin=False))
    outcomes = _report(f"SQLite killed process, {kind}", run_seed, trials, stored, seconds)
    assert violations(stored, trials) == []
    assert outcomes == {"none": 30, "all": 4}

    clean = _clean(kind)
    inner = SQLiteConnection(sqlite_path)
    try:
        assert attempt(clean.build(), hooked_store(inner)) is None
    finally:
        inner.close()
    after = _read(SQLiteConnection(sqlite_path), [*trials, clean])
    assert violations(after, [clean], expect="all") == []


def test_the_commit_per_event_twin_keeps_part_of_a_killed_sqlite_append(
    forker: Forker, sqlite_path: Path
) -> None:
    """The same process deaths against the twin leave trials with only some of their rows."""
    run_seed = seed(2_111)
    trials = make_trials(run_seed, 8, "commit")
    stored, seconds = timed(lambda: _crashed(forker, sqlite_path, trials, twin=True))
    outcomes = _report("SQLite killed process, commit, twin", run_seed, trials, stored, seconds)
    assert violations(stored, trials) != []
    assert outcomes["partial"] > 0
    assert _events_stored(stored, trials) == [trial.at for trial in trials], "died after k"
