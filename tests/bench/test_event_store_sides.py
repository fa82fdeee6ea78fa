"""The event-store rows compare like with like: same statements, same documents, same events."""

import re
from contextlib import ExitStack
from pathlib import Path

import msgspec
import pytest

from tactica.testing import require_service

REPO_ROOT = Path(__file__).resolve().parents[2]

# Literal values in traced SQL (blobs, strings, numbers) differ between runs and sides.
LITERAL = re.compile(r"x'[0-9a-fA-F]*'|'(?:[^']|'')*'|\b\d+\b")

SIZES = (1, 3)
READ_ALL = 2_500  # two full pages and a short one
# The snapshot rows' aggregates: a first load of 140 events (100 or more) saves the snapshot.
SNAPSHOTS = (150,)


@pytest.fixture
def event_store(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    import bench.event_store

    return bench.event_store


def _shapes(statements):
    return [LITERAL.sub("?", statement) for statement in statements]


def _rows(path):
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT stream_version, type_name, schema_version, event_id, payload, metadata,"
            " occurred_at, recorded_at, correlation_id, causation_id FROM tactica_events"
            " ORDER BY position"
        ).fetchall()
    finally:
        connection.close()


def test_the_raw_statements_are_tactica_s_own_word_for_word(event_store):
    from tactica.stores._sql._dialect import dialect_named
    from tactica.stores._sql._event_rows import by_ids, global_read, insert_events, stream_read

    stream = stream_read(bounded=False, backwards=False, limited=False)
    for dialect, name, horizon in (
        (event_store._SQLITE, "sqlite", False),
        (event_store._PSYCOPG, "postgresql", True),
    ):
        placeholder = "%s" if dialect.postgres else "?"
        ours = (
            insert_events(dialect_named(name), event_store.SAVE),
            by_ids(event_store.SAVE),
            stream,
            global_read(horizon=horizon, types=0),
        )
        theirs = (dialect.insert, dialect.by_ids, dialect.stream, dialect.global_read)
        assert theirs == tuple(sql.replace("?", placeholder) for sql in ours)


def test_on_sqlite_tactica_and_raw_run_the_same_statements(event_store, tmp_path):
    with ExitStack() as resources:
        sides = event_store.sqlite_sides(
            tmp_path, resources, sizes=SIZES, read_all_events=READ_ALL, snapshot_sizes=SNAPSHOTS
        )
        ours, theirs = [], []
        load = sides.loads[3]
        for store in (sides.append.tactica.store, load.tactica.args[0]):
            store.connection._raw.set_trace_callback(ours.append)
        for connection in (sides.append.raw.connection, load.raw.args[0]):
            connection.set_trace_callback(theirs.append)

        for work in (sides.append, sides.append, load, sides.read_all):
            ours.clear()
            theirs.clear()
            work.tactica()
            work.raw()
            assert ours
            assert _shapes(ours) == _shapes(theirs)
            if work is sides.append:
                assert (ours[0], ours[-1]) == ("BEGIN IMMEDIATE", "COMMIT")
                # BEGIN, the id look-up, the version, one INSERT of every row, COMMIT.
                assert len(ours) == 5

    # Both sides appended two saves of 10 to a stream of their own, from version 0.
    tactica_rows = _rows(tmp_path / "tactica-append.db")
    raw_rows = _rows(tmp_path / "raw-append.db")
    assert [row[0] for row in tactica_rows] == [row[0] for row in raw_rows] == list(range(1, 21))
    for ours_row, theirs_row in zip(tactica_rows, raw_rows, strict=True):
        # Type name, schema version, metadata and the correlation and causation ids match.
        for column in (1, 2, 5, 8, 9):
            assert ours_row[column] == theirs_row[column]
        for row in (ours_row, theirs_row):
            document = msgspec.json.decode(row[4])
            assert list(document) == [
                "event_id",
                "occurred_at",
                "correlation_id",
                "causation_id",
                "metadata",
                "amount",
            ]
            assert document["event_id"] == row[3]
            # Times are ISO text with an offset on both sides.
            assert row[6].endswith("+00:00")
            assert row[7].endswith("+00:00")


def test_every_side_reads_the_same_events(event_store, tmp_path):
    with ExitStack() as resources:
        sides = event_store.sqlite_sides(
            tmp_path, resources, sizes=SIZES, read_all_events=READ_ALL, snapshot_sizes=SNAPSHOTS
        )
        load = sides.loads[3]
        ours, theirs, peers = load.tactica(), load.raw(), load.eventsourcing()
        assert [type(event).__name__ for event in ours] == ["Opened", "Deposited", "Deposited"]
        assert [type(event).__name__ for event in theirs] == [
            "_RawOpened",
            "_RawDeposited",
            "_RawDeposited",
        ]
        assert [type(event).__qualname__ for event in peers] == [
            "EsAccount.Opened",
            "EsAccount.Deposited",
            "EsAccount.Deposited",
        ]
        amounts = [[event.amount for event in events[1:]] for events in (ours, theirs, peers)]
        assert amounts == [[1, 2]] * 3
        assert [ours[0].owner, theirs[0].owner, peers[0].owner] == ["Ada"] * 3

        assert sides.read_all.tactica() == sides.read_all.raw() == READ_ALL
        assert sides.read_all.eventsourcing() == READ_ALL


def test_a_side_that_reads_fewer_events_than_were_written_fails(event_store, tmp_path):
    from functools import partial

    with ExitStack() as resources:
        sides = event_store.sqlite_sides(
            tmp_path, resources, sizes=(3,), read_all_events=1_000, snapshot_sizes=SNAPSHOTS
        )
        for work in (sides.loads[3], sides.read_all, *sides.snapshot_loads.values()):
            for side in work.compared:
                *arguments, expected = side.args
                with pytest.raises(RuntimeError, match="where"):
                    partial(side.func, *arguments, expected + 1)()


def test_eventsourcing_writes_sqlite_files_as_durably_as_the_others(event_store, tmp_path):
    with ExitStack() as resources:
        sides = event_store.sqlite_sides(
            tmp_path, resources, sizes=(1,), read_all_events=1_000, snapshot_sizes=()
        )
        app = sides.append.eventsourcing.app
        with app.recorder.datastore.get_connection(commit=True) as connection:
            raw = connection._sqlite_conn
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        for connection in (sides.append.raw.connection, sides.loads[1].raw.args[0]):
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_on_postgres_every_side_works_in_schemas_dropped_at_the_end(event_store):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    with ExitStack() as resources:
        sides = event_store.postgres_sides(
            event_store.POSTGRES,
            resources,
            sizes=SIZES,
            read_all_events=READ_ALL,
            snapshot_sizes=SNAPSHOTS,
        )
        for work in (sides.append, sides.append, *sides.loads.values()):
            for side in (work.tactica, work.raw, work.eventsourcing):
                side()
        assert sides.read_all.tactica() == sides.read_all.raw() == READ_ALL
        assert sides.read_all.eventsourcing() == READ_ALL
        for load in sides.snapshot_loads.values():
            ours, replayed, peer = (side() for side in load.compared)
            assert ours == replayed
            assert (peer.version, peer.balance) == (ours.version, ours.balance)
        schemas = sides.schemas
        assert len(schemas) == 6

    with psycopg.connect(event_store.POSTGRES, autocommit=True) as connection:
        left = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (list(schemas),)
        ).fetchall()
    assert left == []


def test_without_a_postgres_server_its_rows_are_printed_as_skipped(event_store):
    with ExitStack() as resources:
        rows = list(
            event_store.event_store_cases(
                resources,
                quick=True,
                postgres="host=127.0.0.1 port=1 dbname=x user=x",
                sizes=(1,),
                snapshot_sizes=SNAPSHOTS,
            )
        )
    kinds = [type(row).__name__ for row in rows]
    assert kinds == ["Case"] * 8 + ["Skipped"] * 8
    names = ["append 10", "load 1", "load 150 snap+10", "read-all 5k"]
    for database, timed in (("SQLite", rows[:8]), ("PostgreSQL", rows[8:])):
        assert [row.name for row in timed] == [
            f"{name}, {database}" for name in names for _ in range(2)
        ]
    assert all("unreachable" in row.reason for row in rows[8:])
    # Only DESIGN.md's 10,000-event load has a time goal; no snapshot row has a ratio goal.
    snapshot_rows = [row for row in rows[:8] if " snap+" in row.name]
    assert [(row.goal, row.budget_ns, row.call, row.unit) for row in snapshot_rows] == [
        (None, None, "load", None)
    ] * 2


def test_snapshot_loads_fold_only_the_events_after_the_snapshot(event_store, tmp_path):
    with ExitStack() as resources:
        sides = event_store.sqlite_sides(
            tmp_path, resources, sizes=(), read_all_events=0, snapshot_sizes=SNAPSHOTS
        )
        assert sorted(sides.snapshot_loads) == [(150, 10)]
        for (size, tail), load in sides.snapshot_loads.items():
            store, account_id, _ = load.snapshot.args
            stream_id = f"Account-{account_id}"
            traced = []
            store.connection._raw.set_trace_callback(traced.append)
            ours = load.snapshot()
            reads = [sql for sql in traced if "FROM tactica_events" in sql]
            assert any("FROM tactica_snapshots" in sql for sql in traced)
            # One read of the stream, from the snapshot's own event (which proves the
            # snapshot is not beyond the head) on.
            assert len(reads) == 1
            assert f"AND stream_version >= {size - tail} " in reads[0]
            traced.clear()
            replayed = load.replay()
            assert not any("tactica_snapshots" in sql for sql in traced)
            assert "AND stream_version >= 1 " in traced[-1]
            store.connection._raw.set_trace_callback(None)

            assert ours == replayed
            assert (ours.version, ours.owner, ours.balance) == (size, "Ada", sum(range(size)))
            peer = load.eventsourcing()
            assert (peer.version, peer.owner, peer.balance) == (size, "Ada", sum(range(size)))
            # A timed load folds fewer than 100 events, so it saves no snapshot of its own.
            load.snapshot()
            assert store.load_snapshot(stream_id).version == size - tail
            app, peer_id, _ = load.eventsourcing.args
            latest = list(app.snapshots.get(peer_id, desc=True, limit=1))
            assert [snapshot.originator_version for snapshot in latest] == [size - tail]


def test_the_10_ms_goal_applies_to_the_10_000_event_snapshot_loads_only(event_store):
    plan = event_store._Plan((), 5_000, (1_000, 10_000), 1)
    rows = [row for row in event_store._rows("SQLite", "sqlite3", plan) if "snap" in row.name]
    assert [(row.name, row.budget_ns) for row in rows] == [
        ("load 1,000 snap+10, SQLite", None),
        ("load 10,000 snap+10, SQLite", 10_000_000),
    ]
