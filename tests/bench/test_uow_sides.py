"""The unit-of-work rows compare like with like: same statements, same documents, same rows."""

import re
import sqlite3
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import msgspec
import pytest

from tactica.testing import require_service

REPO_ROOT = Path(__file__).resolve().parents[2]

# Literal values in traced SQL (blobs, strings, numbers) differ between runs and sides.
LITERAL = re.compile(r"x'[0-9a-fA-F]*'|'(?:[^']|'')*'|\b\d+\b")


@pytest.fixture
def uow(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    import bench.uow

    return bench.uow


def _shapes(statements):
    return [LITERAL.sub("?", statement) for statement in statements]


def _stored(connection, account_id):
    state = connection.execute(
        "SELECT version, state FROM tactica_aggregates WHERE aggregate_id = ?", (account_id,)
    ).fetchone()
    payloads = [
        msgspec.json.decode(payload)
        for (payload,) in connection.execute("SELECT payload FROM tactica_outbox").fetchall()
    ]
    return state[0], msgspec.json.decode(state[1]), payloads


def test_on_sqlite_both_sides_run_the_same_statements_and_store_the_same_documents(
    uow, tmp_path, monkeypatch
):
    traced = defaultdict(list)
    connect = sqlite3.connect

    def tracing_connect(path, *args, **kwargs):
        connection = connect(path, *args, **kwargs)
        connection.set_trace_callback(traced[Path(path).name].append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", tracing_connect)
    with ExitStack() as resources:
        sides = uow.sqlite_sides(tmp_path, resources)
        for ours, theirs in (
            (sides.tactica, sides.raw),
            (sides.tactica_connecting, sides.raw_connecting),
        ):
            for statements in traced.values():
                statements.clear()
            ours()
            theirs()
            assert "COMMIT" in traced["raw.db"]
            assert _shapes(traced["tactica.db"]) == _shapes(traced["raw.db"])
    # The last pair opened a connection per commit: the same settings on both sides.
    assert traced["raw.db"][:3] == [
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
    ]

    stored = {}
    for name in ("tactica.db", "raw.db"):
        with sqlite3.connect(tmp_path / name) as connection:
            stored[name] = _stored(connection, "account-1")
        connection.close()
    (our_version, our_state, our_events), (their_version, their_state, their_events) = (
        stored.values()
    )
    assert our_version == their_version == 3
    assert our_state["balance"] == their_state["balance"] == 2
    assert list(our_state) == list(their_state)
    assert len(our_events) == len(their_events) == 2
    assert [list(event) for event in our_events] == [list(event) for event in their_events]


def test_on_postgres_both_sides_store_the_same_documents(uow):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    with ExitStack() as resources:
        sides = uow.postgres_sides(uow.POSTGRES, resources)
        for commit in (sides.tactica, sides.raw, sides.tactica_connecting, sides.raw_connecting):
            commit()
        with psycopg.connect(uow.POSTGRES, autocommit=True) as connection:
            stored = [
                connection.execute(
                    "SELECT version, state FROM tactica_aggregates "
                    "WHERE aggregate_type = %s AND aggregate_id = %s",
                    (uow.ACCOUNT_TYPE, account_id),
                ).fetchone()
                for account_id in sides.account_ids
            ]
            events = [
                connection.execute(
                    "SELECT payload FROM tactica_outbox WHERE type_name = %s "
                    "AND convert_from(payload, 'UTF8')::jsonb ->> 'account_id' = %s",
                    (uow.EVENT_TYPE, account_id),
                ).fetchall()
                for account_id in sides.account_ids
            ]
    (our_version, our_state), (their_version, their_state) = (
        (version, msgspec.json.decode(state)) for version, state in stored
    )
    assert our_version == their_version == 3
    assert our_state["balance"] == their_state["balance"] == 2
    assert list(our_state) == list(their_state)
    our_events, their_events = (
        [list(msgspec.json.decode(payload)) for (payload,) in rows] for rows in events
    )
    assert len(our_events) == len(their_events) == 2
    assert our_events == their_events

    with psycopg.connect(uow.POSTGRES, autocommit=True) as connection:
        left = connection.execute(
            "SELECT count(*) FROM tactica_aggregates WHERE aggregate_id = ANY(%s)",
            (list(sides.account_ids),),
        ).fetchone()
    assert left == (0,)


def test_without_a_postgres_server_its_rows_are_printed_as_skipped(uow):
    with ExitStack() as resources:
        rows = list(uow.uow_cases(resources, postgres="host=127.0.0.1 port=1 dbname=x user=x"))
    assert [type(row).__name__ for row in rows] == ["Case", "Case", "Skipped", "Skipped"]
    assert all("unreachable" in row.reason for row in rows[2:])
