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
]

# A ratio cell: median, then the (min-max) range of the paired repeats.
RATIO = re.compile(r"\s(\d+\.\d\d)x \((\d+\.\d\d)-(\d+\.\d\d)\)\s")


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
    for case in CASES:
        rows = [line for line in lines if re.match(rf"{re.escape(case)}\s{{2}}", line)]
        assert rows, f"no row for {case!r} in:\n{completed.stdout}"
        for line in rows:
            match = RATIO.search(line)
            assert match, f"no ratio in {line!r}"
            median, low, high = (float(group) for group in match.groups())
            assert 0 < low <= median <= high
