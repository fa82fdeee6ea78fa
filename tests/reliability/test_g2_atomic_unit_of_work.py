"""G2 on a real SQLite file and a real PostgreSQL: a unit of work is stored all or nothing.

Every trial is one unit of work that inserts a new ledger, changes up to two shared ones
and writes 5 to 20 outbox rows, and is broken somewhere inside its commit:

- SQLite: its process dies (``os._exit(137)``) before any outbox row, between two, just
  before COMMIT or just after it;
- in-process: an exception at the same steps, or in the caller's code before commit;
- PostgreSQL: its transaction is parked at an outbox row by a trigger waiting on an
  advisory lock, and its backend is terminated (Marten #4964); on a throwaway server.

Then the rows of each trial are counted: all of them or none, never some. The broken twin
(a unit of work that commits the aggregates and the outbox in two transactions) must fail
the same check.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from _uow_harness import (
    KILLED,
    Parking,
    Plan,
    PostgresLedgerWork,
    SplitPostgresLedgerWork,
    SplitSQLiteLedgerWork,
    SQLAlchemyLedgerWork,
    SQLiteLedgerWork,
    Zygote,
    ack,
    add_shared_ledgers,
    attempt,
    attempt_killed,
    make_plans,
    outcome,
    seed,
    snapshot,
    violations,
)

from tactica.stores.postgres import PostgresConnection
from tactica.stores.sqlite import SQLiteConnection


def _report(name: str, run_seed: int, plans: list[Plan], found: Any) -> Counter[str]:
    outcomes = Counter(outcome(found, plan) for plan in plans)
    print(f"{name}: seed {run_seed}, {len(plans)} trials, outcomes {dict(outcomes)}")
    return outcomes


def _killed_in_child_processes(
    zygote: Zygote, path: Path, plans: list[Plan], *, twin: bool
) -> tuple[Any, dict[str, str]]:
    """Run each plan in its own forked process, which dies at the plan's commit step."""
    add_shared_ledgers(partial(SQLiteLedgerWork, path))
    acks = path.with_suffix(".acks")
    for plan in plans:
        codes = zygote.run(
            kind="plans", path=str(path), plans=[plan.to_json()], twin=twin, ledger=str(acks)
        )
        assert codes == [KILLED], f"the worker of {plan} exited with {codes}"
    reader = SQLiteConnection(path)
    found = snapshot(reader)
    reader.close()
    return found, {}


def test_a_process_killed_anywhere_in_a_sqlite_commit_leaves_all_of_its_rows_or_none(
    zygote: Zygote, sqlite_path: Path
) -> None:
    """A process dying at any step of a SQLite commit leaves all its rows or none."""
    run_seed = seed(2_001)
    plans = make_plans(run_seed, 40, ("exit",), rate=1.0)
    found, acks = _killed_in_child_processes(zygote, sqlite_path, plans, twin=False)
    outcomes = _report("G2 SQLite killed process", run_seed, plans, found)
    assert violations(found, plans, acks) == []
    assert outcomes["all"] > 0, "some processes died after COMMIT: their rows must all be there"
    assert outcomes["none"] > 0


def test_the_split_commit_twin_leaves_partial_rows_when_its_process_is_killed(
    zygote: Zygote, sqlite_path: Path
) -> None:
    """The same kills against the split-commit twin leave partial units of work."""
    run_seed = seed(2_002)
    plans = make_plans(run_seed, 12, ("exit",), rate=1.0)
    found, acks = _killed_in_child_processes(zygote, sqlite_path, plans, twin=True)
    outcomes = _report("G2 SQLite killed process, split twin", run_seed, plans, found)
    assert violations(found, plans, acks) != []
    assert outcomes["partial"] > 0


def _sqlite_exceptions(path: Path, work: Any, plans: list[Plan]) -> tuple[Any, dict[str, str]]:
    new_work = partial(work, path)
    add_shared_ledgers(new_work)
    acks = {plan.key: ack(attempt(new_work, plan)) for plan in plans}
    reader = SQLiteConnection(path)
    found = snapshot(reader)
    reader.close()
    return found, acks


@pytest.mark.parametrize("work", [SQLiteLedgerWork, SQLAlchemyLedgerWork])
def test_an_exception_anywhere_in_a_sqlite_commit_stores_nothing_and_reaches_the_caller(
    sqlite_path: Path, work: Any
) -> None:
    """An exception before or inside a SQLite commit stores no row and reaches the caller.

    Both with tactica's own SQLite unit of work and with the SQLAlchemy one on the file.
    """
    run_seed = seed(2_003)
    plans = make_plans(run_seed, 50, ("raise_before_commit", "raise"), rate=1.0)
    found, acks = _sqlite_exceptions(sqlite_path, work, plans)
    outcomes = _report("G2 SQLite injected exception", run_seed, plans, found)
    assert violations(found, plans, acks) == []
    assert outcomes == {"none": 50}
    assert all("InjectedFault" in told for told in acks.values())


def test_the_split_commit_twin_keeps_the_change_without_its_outbox_rows_on_an_exception(
    sqlite_path: Path,
) -> None:
    """The same exceptions against the split twin leave changes without their outbox rows."""
    run_seed = seed(2_004)
    plans = make_plans(run_seed, 10, ("raise",), rate=1.0)
    found, acks = _sqlite_exceptions(sqlite_path, SplitSQLiteLedgerWork, plans)
    outcomes = _report("G2 SQLite injected exception, split twin", run_seed, plans, found)
    assert violations(found, plans, acks) != []
    assert outcomes["partial"] > 0


def _killed_connections(conninfo: str, work: Any, plans: list[Plan]) -> tuple[Any, dict[str, Any]]:
    """Park each plan's transaction at one of its outbox rows, then terminate its backend."""
    new_work = partial(work, conninfo)
    add_shared_ledgers(new_work)
    parking = Parking(conninfo)
    errors: dict[str, Any] = {}
    try:
        for plan in plans:
            errors[plan.key] = attempt_killed(parking, new_work, plan)
    finally:
        parking.close()
    reader = PostgresConnection(conninfo)
    found = snapshot(reader)
    reader.close()
    return found, errors


def test_a_postgres_connection_killed_mid_commit_raises_and_leaves_nothing(
    postgres_conninfo: str,
) -> None:
    """A backend killed at any outbox row of a commit stores no row and the caller is told so.

    The error is tactica's `DatabaseConnectionError` (nothing stored), never the driver's
    nor a failed ROLLBACK's on the dead connection hiding it.
    """
    run_seed = seed(2_005)
    plans = make_plans(run_seed, 30, ("kill",), rate=1.0)
    found, errors = _killed_connections(postgres_conninfo, PostgresLedgerWork, plans)
    outcomes = _report("G2 PostgreSQL killed connection", run_seed, plans, found)
    acks = {key: ack(error) for key, error in errors.items()}
    assert violations(found, plans, acks) == []
    assert outcomes == {"none": 30}
    kinds = Counter(type(error).__name__ for error in errors.values())
    print(f"G2 PostgreSQL killed connection: errors raised to the caller {dict(kinds)}")
    assert kinds == {"DatabaseConnectionError": 30}


def test_the_split_commit_twin_keeps_the_change_when_its_connection_is_killed(
    postgres_conninfo: str,
) -> None:
    """The same kills against the split twin leave changes without their outbox rows."""
    run_seed = seed(2_006)
    plans = make_plans(run_seed, 8, ("kill",), rate=1.0)
    found, errors = _killed_connections(postgres_conninfo, SplitPostgresLedgerWork, plans)
    outcomes = _report("G2 PostgreSQL killed connection, split twin", run_seed, plans, found)
    acks = {key: ack(error) for key, error in errors.items()}
    assert violations(found, plans, acks) != []
    assert outcomes["partial"] == 8
