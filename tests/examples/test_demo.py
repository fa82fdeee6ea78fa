"""`make demo` runs the reference application and shows each level's building blocks at work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_runs_and_shows_each_levels_behaviour() -> None:
    """`python -m examples.demo` exits cleanly and prints what each level's blocks did."""
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
    level_4 = out[out.index("== Level 4") :]
    assert "@2 StockLedger-LAMP v1 allocation.stock-received" in level_4, "positions, versions"
    assert "ReserveStock 2 DESK for order-c     -> 10  @6 StockLedger-DESK v2" in level_4
    assert "@8 StockLedger-LAMP v5 allocation.stock-written-off" in level_4
    assert "reads as StockReceived v2 through the upcaster: qty=12, batch_ref='unknown'" in out
    assert "LAMP reloaded by replaying 5 events: on hand 18, reserved 5 (order-b)" in out
    assert "LAMP as of version 3 (get_at): on hand 20, reserved 8 (order-a, order-b)" in out
    assert (
        "Bob's reservation for order-e is refused: WrongExpectedVersionError: stream "
        "'StockLedger-LAMP' was expected to be at version 5 but it is at version 6"
    ) in out
    assert "dispatched again, loads afresh and succeeds: available 6" in out
    assert (
        "that load folded 6 events (snapshot_every=6), so it saved a snapshot at version 6" in out
    )
    assert (
        "the next load reads 2 events, the snapshot's own (proving the stream reaches it) "
        "and 1 to fold onto it: on hand 18, reserved 12" in out
    )
    assert "the same state as a full replay: True" in out
    level_5 = out[out.index("== Level 5") :]
    assert "before the runner starts: checkpoint 0, head 8, pending 8" in level_5
    assert "catches up, then follows live: checkpoint 8, head 8, pending 0" in level_5
    assert "CHAIR 8-0=8, DESK 12-2=10, LAMP 18-5=13" in level_5, "the v1 event, upcast"
    assert "wait_for(@9): order-f holds {'CHAIR': 5}" in level_5, "read-your-writes"
    assert "position/head: 4/9, 8/9, 9/9" in level_5
    assert "readers saw the live view all along: True" in level_5
    assert "the rebuilt view equals the live one: True" in level_5
    assert "readers now see generation 2 (it was 1)" in level_5
