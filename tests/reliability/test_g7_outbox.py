"""G7 on a real SQLite file and a real PostgreSQL: an outbox row exists iff its change committed.

Hundreds of seeded, randomized units of work each change one to three ledgers and write 5
to 20 outbox rows, all carrying the unit's key as correlation id; 10% of them fail:
an exception before commit, an exception in the middle of the commit, and either the
process dying mid-commit (SQLite, in forked workers) or the backend being terminated while
parked inside the commit (PostgreSQL, on a throwaway server). A ledger records what each
caller was told. At the end the keys of the stored changes and of the outbox rows must be
the same set: no message without its change (a ghost), no change without its messages (a
zombie), and every acknowledged commit stored. The broken twin, which commits the outbox
in a second transaction, must fail the same check.
"""

from __future__ import annotations

import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from _uow_harness import (
    KILLED,
    Parking,
    Plan,
    PostgresLedgerWork,
    SplitPostgresLedgerWork,
    SQLiteLedgerWork,
    Zygote,
    ack,
    add_shared_ledgers,
    attempt,
    attempt_killed,
    make_plans,
    read_acks,
    seed,
    snapshot,
    violations,
)

from tactica.stores.postgres import PostgresConnection
from tactica.stores.sqlite import SQLiteConnection

SQLITE_FAILURES = ("raise_before_commit", "raise", "exit")
POSTGRES_FAILURES = ("raise_before_commit", "raise", "kill")


def _print_run(name: str, run_seed: int, plans: list[Plan], started: float, found: Any) -> None:
    failures = Counter(plan.failure for plan in plans)
    print(
        f"{name}: seed {run_seed}, {len(plans)} units of work, failures {dict(failures)}, "
        f"{len(found.noted_in)} changes and {sum(found.outbox.values())} outbox rows stored, "
        f"{time.perf_counter() - started:.1f} s"
    )


def _sqlite_run(zygote: Zygote, path: Path, plans: list[Plan], *, twin: bool) -> Any:
    """Run the plans in forked workers, starting a new one after each planned death."""
    add_shared_ledgers(partial(SQLiteLedgerWork, path))
    ledger = path.with_suffix(".acks")
    start = 0
    while start < len(plans):
        codes = zygote.run(
            kind="plans",
            path=str(path),
            plans=[plan.to_json() for plan in plans[start:]],
            twin=twin,
            ledger=str(ledger),
        )
        death = next((i for i in range(start, len(plans)) if plans[i].failure == "exit"), None)
        if death is None:
            assert codes == [0]
            break
        assert codes == [KILLED], f"the worker should have died at trial {death}: {codes}"
        start = death + 1
    reader = SQLiteConnection(path)
    found = snapshot(reader)
    reader.close()
    return found, read_acks(ledger)


def test_sqlite_outbox_rows_exist_iff_their_change_committed_over_1000_units_of_work(
    zygote: Zygote, sqlite_path: Path
) -> None:
    """1,000 SQLite units of work, 10% failing or dying: changes and outbox rows match."""
    run_seed, started = seed(7_001), time.perf_counter()
    plans = make_plans(run_seed, 1_000, SQLITE_FAILURES, rate=0.1)
    assert {plan.failure for plan in plans} == {"none", *SQLITE_FAILURES}
    found, acks = _sqlite_run(zygote, sqlite_path, plans, twin=False)
    _print_run("G7 SQLite", run_seed, plans, started, found)
    assert violations(found, plans, acks) == []
    assert sum(told == "committed" for told in acks.values()) == sum(
        plan.failure == "none" for plan in plans
    )


def test_the_split_commit_twin_on_sqlite_leaves_changes_without_their_outbox_rows(
    zygote: Zygote, sqlite_path: Path
) -> None:
    """The same run against the split twin leaves committed changes with no outbox rows."""
    run_seed, started = seed(7_002), time.perf_counter()
    plans = make_plans(run_seed, 300, SQLITE_FAILURES, rate=0.1)
    found, acks = _sqlite_run(zygote, sqlite_path, plans, twin=True)
    _print_run("G7 SQLite, split twin", run_seed, plans, started, found)
    found_violations = violations(found, plans, acks)
    assert any(breach.startswith("a change without its outbox rows") for breach in found_violations)


def _postgres_run(conninfo: str, work: Any, plans: list[Plan]) -> Any:
    """Run the plans one after another here, killing the backends of the "kill" ones."""
    new_work = partial(work, conninfo)
    add_shared_ledgers(new_work)
    parking = Parking(conninfo)
    acks = {}
    try:
        for plan in plans:
            if plan.failure == "kill":
                error = attempt_killed(parking, new_work, plan)
            else:
                error = attempt(new_work, plan)
            acks[plan.key] = ack(error)
    finally:
        parking.close()
    reader = PostgresConnection(conninfo)
    found = snapshot(reader)
    reader.close()
    return found, acks


def test_postgres_outbox_rows_exist_iff_their_change_committed_over_300_units_of_work(
    postgres_conninfo: str,
) -> None:
    """300 PostgreSQL units of work, 10% failing or killed: changes and outbox rows match."""
    run_seed, started = seed(7_003), time.perf_counter()
    plans = make_plans(run_seed, 300, POSTGRES_FAILURES, rate=0.1)
    assert {plan.failure for plan in plans} == {"none", *POSTGRES_FAILURES}
    found, acks = _postgres_run(postgres_conninfo, PostgresLedgerWork, plans)
    _print_run("G7 PostgreSQL", run_seed, plans, started, found)
    assert violations(found, plans, acks) == []


def test_the_split_commit_twin_on_postgres_leaves_changes_without_their_outbox_rows(
    postgres_conninfo: str,
) -> None:
    """The same run against the split twin leaves committed changes with no outbox rows."""
    run_seed, started = seed(7_004), time.perf_counter()
    plans = make_plans(run_seed, 150, POSTGRES_FAILURES, rate=0.1)
    found, acks = _postgres_run(postgres_conninfo, SplitPostgresLedgerWork, plans)
    _print_run("G7 PostgreSQL, split twin", run_seed, plans, started, found)
    found_violations = violations(found, plans, acks)
    assert any(breach.startswith("a change without its outbox rows") for breach in found_violations)
