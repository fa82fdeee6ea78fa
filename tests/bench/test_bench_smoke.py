import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CASES = [
    "uuid7",
    "dataclass construct",
    "dataclass encode",
    "dataclass decode",
    "dataclass round trip",
    "pydantic construct",
    "pydantic encode",
    "pydantic decode",
    "pydantic round trip",
    "dispatch",
    "dispatch + LogCalls",
    "async dispatch",
    "async dispatch + LogCalls",
    "uow commit, SQLite",
    "uow + connect, SQLite",
    "bus + uow, SQLite",
    "bus + uow + connect, SQLite",
]

# The event store's rows, on each database; quick mode reads 5k events in the catch-up.
# "snap+10": an aggregate loaded from a snapshot 10 events behind its last event.
EVENT_STORE = [
    "append 10",
    "load 1",
    "load 100",
    "load 1,000",
    "load 10,000",
    "load 1,000 snap+10",
    "load 10,000 snap+10",
    "read-all 5k",
]
CASES += [f"{case}, SQLite" for case in EVENT_STORE]

# Rows that need a PostgreSQL server: timed when it answers, printed as skipped otherwise.
SERVICE_CASES = ["uow commit, PostgreSQL", "uow + connect, PostgreSQL"]
SERVICE_CASES += ["bus + uow, PostgreSQL", "bus + uow + connect, PostgreSQL"]
SERVICE_CASES += [f"{case}, PostgreSQL" for case in EVENT_STORE]

# A ratio cell: median, then the (min-max) range of the paired repeats; two decimals, or
# more below 0.01 (a load from a snapshot against a full replay).
RATIO = re.compile(r"\s(\d+\.\d{2,})x \((\d+\.\d{2,})-(\d+\.\d{2,})\)\s")


def test_make_bench_quick_prints_a_ratio_for_every_case():
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert any(re.match(r"case\s+baseline\s+.*\sratio\s", line) for line in lines)
    for case in CASES + SERVICE_CASES:
        rows = [line for line in lines if re.match(rf"{re.escape(case)}\s{{2}}", line)]
        assert rows, f"no row for {case!r} in:\n{completed.stdout}"
        if case.endswith(("SQLite", "PostgreSQL")) and case.startswith(tuple(EVENT_STORE)):
            # Against the raw driver and against eventsourcing.
            assert len(rows) == 2, rows
        for line in rows:
            if case in SERVICE_CASES and "skipped: " in line:
                continue
            match = RATIO.search(line)
            assert match, f"no ratio in {line!r}"
            median, low, high = (float(group) for group in match.groups())
            assert 0 < low <= median <= high
