"""`make demo` runs the reference application and shows each level-1 building block at work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_runs_and_shows_every_level_one_behaviour() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "changing it is refused: cannot change OrderLine.qty" in out
    assert "an invalid one cannot exist: an order line needs a positive quantity" in out
    assert "order-1 (2 chairs) goes to warehouse-1" in out
    assert "order-3 (50 chairs) is refused: out of stock" in out
    assert out.count("correlation set") == 2
    assert "events pending after pull_events(): 0" in out
    assert '"order_id":"order-1"' in out
    assert "equal to the original: True" in out
    assert "Bob's commit from the stale copy is refused" in out
    assert "stored allocations: order-1, order-2, order-4" in out
    assert "Allocate order-a (3 lamps) -> warehouse-1" in out
    assert "      Allocate {'order_id': 'order-b', 'qty': 2}" in out, "the follow-up command"
    assert "view: {'order-a': 'warehouse-1', 'order-b': 'ship-1'}" in out
    assert result.stderr == ""
