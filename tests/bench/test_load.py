"""The load section of ``make bench``: its quick mode runs, measures what it says, cleans up.

The quick run holds a foreign transaction open (the stall cases), which holds back the
xid8 horizon of the whole server, so it runs on a throwaway server of its own
(`tests/reliability/_throwaway_postgres.py`: skipped locally without the server binaries,
failed under ``CI=true``), never on the shared one.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "reliability"))

import _throwaway_postgres  # noqa: E402

ROWS = [
    "single appends/s, 4 writers",
    "single appends/s, 8 writers",
    "single appends/s, 8 writers, no NOTIFY",
    "events/s, 100-event txns, 4 writers",
    "lag p99 at 50% of 4-writer rate",
    "lag p99, 0.3 s stall, from return",
]
RATE = re.compile(r"\s([\d,]+)/s ±\d+%\s")
MS = re.compile(r"\s([\d,.]+) ms ±\d+%\s")
RATIO = re.compile(r"\s(\d+\.\d{2})x \((\d+\.\d{2})-(\d+\.\d{2})\)\s")


@pytest.fixture
def load(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    import bench.load

    return bench.load


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    instance = _throwaway_postgres.start()
    try:
        yield instance.conninfo
    finally:
        _throwaway_postgres.stop(instance)


def _run_quick(conninfo: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.load", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "TACTICA_BENCH_POSTGRES": conninfo},
    )


def test_quick_mode_prints_both_designs_side_by_side_and_drops_its_schemas(server):
    """A quick run prints a rate or a time for both designs on every row, and leaves no schema."""
    import psycopg

    completed = _run_quick(server)

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert any(re.match(r"load case\s+horizon \(xid8\)\s+table_lock\s", line) for line in lines)
    for label in ROWS:
        rows = [line for line in lines if re.match(rf"{re.escape(label)}\s{{2}}", line)]
        assert len(rows) == 1, f"no row {label!r} in:\n{completed.stdout}"
        cells = RATE.findall(rows[0]) if "/s" in label else MS.findall(rows[0])
        assert len(cells) == 2, rows[0]
        if "/s" in label:
            assert all(float(cell.replace(",", "")) > 0 for cell in cells), rows[0]
            median, low, high = (float(group) for group in RATIO.search(rows[0]).groups())
            assert 0 < low <= median <= high
    assert len([line for line in lines if line.startswith("  p99 ")]) == 4
    missed = next(line for line in lines if line.startswith("events missed"))
    assert re.match(r"events missed / applied twice by runner\s+0 / 0\s+0 / 0\s", missed)

    with psycopg.connect(server, autocommit=True) as connection:
        left = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tactica_bench_load_%'"
        ).fetchall()
    assert left == []


def test_the_no_notify_case_sends_no_notification_and_the_others_do(load, server):
    """Appends inside `_notify_off` send no NOTIFY; outside it they do, so the row compares both."""
    import psycopg

    from tactica import uuid7
    from tactica.stores.postgres import PostgresConnection, PostgresEventStore, create_schema

    namespace = f"bench_load_{uuid7().hex[-12:]}"
    admin = PostgresConnection(server, namespace=namespace)
    create_schema(admin)
    store = PostgresEventStore(server, namespace=namespace)
    listener = psycopg.connect(server, autocommit=True)
    try:
        listener.execute("LISTEN tactica_events")
        payload = load._payload(load._codec())
        assert len(payload) == load.PAYLOAD_BYTES
        heard = []
        for version, quiet in enumerate((True, False)):
            if quiet:
                with load._notify_off():
                    store.append("s", load._events(payload, 1), version)
            else:
                store.append("s", load._events(payload, 1), version)
            heard.append(len(list(listener.notifies(timeout=0.5, stop_after=1))))
        assert heard == [0, 1]
    finally:
        listener.close()
        store.close()
        admin.execute(f"DROP SCHEMA {namespace} CASCADE")
        admin.close()


def test_without_a_postgres_server_the_section_is_one_skipped_line(load):
    """An unreachable server makes the section a single line that says why."""
    text = load.load_section(quick=True, postgres="host=127.0.0.1 port=1 dbname=x user=x")

    assert text.startswith("Load on PostgreSQL: skipped: ")
    assert "unreachable" in text


def test_the_table_judges_each_design_and_the_8_writer_ratio(load):
    """The 8-writer row says whether horizon reaches 1.5x table_lock, paired per run."""
    results = load.Results(load.FULL)
    figures = {
        "single4": (900, 700),
        "single4_p99": (0.010, 0.030),
        "single8": (1_000, 800),
        "single8_p99": (0.020, 0.040),
        "quiet8": (1_500, 820),
        "quiet8_p99": (0.010, 0.040),
        "batch4": (7_000, 5_000),
        "batch4_p99": (0.050, 0.080),
        "lag_rate": (450, 350),
        "lag_p99": (0.030, 0.060),
        "stall_p99": (3.100, 0.010),
        "stall_p99_scheduled": (3.150, 3.400),
        "missed": (0, 0),
        "duplicated": (0, 0),
    }
    for _ in range(3):
        for metric, (horizon, table_lock) in figures.items():
            results.add("horizon", metric, horizon)
            results.add("table_lock", metric, table_lock)

    lines = load.table(results).splitlines()

    eight = next(line for line in lines if line.startswith("single appends/s, 8 writers  "))
    assert "1.25x (1.25-1.25)" in eight
    assert eight.endswith("horizon within, table_lock within, ratio UNDER GOAL")
    quiet = next(line for line in lines if line.startswith("single appends/s, 8 writers, no"))
    assert quiet.endswith("vs NOTIFY on: horizon 1.50x, table_lock 1.02x")
    scheduled = next(line for line in lines if line.startswith("  from scheduled time"))
    assert scheduled.endswith("horizon within, table_lock OVER")
    # Only the default design's misses (and the ratio) count in the summary.
    assert lines[-1] == ("Load goals missed by horizon (the default): single appends/s, 8 writers.")
