"""The command rows time what they say: a bus dispatch on kept connections, and raw writes."""

import re
import sqlite3
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import msgspec
import pytest

from tactica.testing import require_service

REPO_ROOT = Path(__file__).resolve().parents[2]

# Values differ between sides (the bus fills correlation and causation, raw writes NULL).
LITERAL = re.compile(r"x'[0-9a-fA-F]*'|'(?:[^']|'')*'|\b\d+\b|\bNULL\b")


@pytest.fixture
def commands(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    import bench.commands

    return bench.commands


def _balance(path, account_id):
    with sqlite3.connect(path) as connection:
        (state,) = connection.execute(
            "SELECT state FROM tactica_aggregates WHERE aggregate_id = ?", (account_id,)
        ).fetchone()
        (outbox,) = connection.execute("SELECT count(*) FROM tactica_outbox").fetchone()
    connection.close()
    return msgspec.json.decode(state)["balance"], outbox


def test_on_sqlite_a_command_on_kept_connections_opens_none_and_writes_what_raw_writes(
    commands, tmp_path, monkeypatch
):
    """The kept side connects once for the run; the connecting side once per command."""
    opened = defaultdict(int)
    traced = defaultdict(list)
    connect = sqlite3.connect

    def counting_connect(path, *args, **kwargs):
        connection = connect(path, *args, **kwargs)
        opened[Path(path).name] += 1
        connection.set_trace_callback(traced[Path(path).name].append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", counting_connect)
    with ExitStack() as resources:
        sides = commands.sqlite_command_sides(tmp_path, resources)
        before = dict(opened)
        for _ in range(3):
            for statements in traced.values():
                statements.clear()
            sides.kept()
            sides.raw()
            # The bus and the unit of work add no statement to the raw side's.
            ours = [LITERAL.sub("?", s) for s in traced["commands-tactica.db"]]
            assert ours == [LITERAL.sub("?", s) for s in traced["commands-raw.db"]]
        assert opened == before
        sides.connecting()
        sides.connecting()
        assert opened["commands-tactica.db"] == before["commands-tactica.db"] + 2
    assert _balance(tmp_path / "commands-tactica.db", "account-1") == (5, 5)
    assert _balance(tmp_path / "commands-raw.db", "account-1") == (3, 3)


def test_on_postgres_each_side_deposits_once_per_call_and_the_run_leaves_no_rows(commands):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    with ExitStack() as resources:
        sides = commands.postgres_command_sides(commands.POSTGRES, resources)
        for call in (sides.kept, sides.kept, sides.connecting, sides.raw):
            call()
        with psycopg.connect(commands.POSTGRES, autocommit=True) as connection:
            balances = [
                msgspec.json.decode(
                    connection.execute(
                        "SELECT state FROM tactica_aggregates WHERE aggregate_id = %s",
                        (account_id,),
                    ).fetchone()[0]
                )["balance"]
                for account_id in sides.account_ids
            ]
    assert balances == [3, 1]
    with psycopg.connect(commands.POSTGRES, autocommit=True) as connection:
        left = connection.execute(
            "SELECT count(*) FROM tactica_aggregates WHERE aggregate_id = ANY(%s)",
            (list(sides.account_ids),),
        ).fetchone()
    assert left == (0,)


def test_the_goal_is_six_tenths_of_raw_throughput_as_a_time_ratio(commands, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    from bench import _report

    with ExitStack() as resources:
        rows = list(
            commands.command_cases(resources, postgres="host=127.0.0.1 port=1 dbname=x user=x")
        )
    assert [type(row).__name__ for row in rows] == ["Case", "Case", "Skipped", "Skipped"]
    kept, connecting = rows[:2]
    assert kept.goal == pytest.approx(1 / 0.6)
    assert _report._goal(kept) == "<= 1.67x"
    assert connecting.goal is None
    assert connecting.reference
    assert all("unreachable" in row.reason for row in rows[2:])
