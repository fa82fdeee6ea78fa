"""The level-5 part of the reference application: the stock ledger's read models."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tactica.eventsourcing import EventSourcedRepository
from tactica.projections import wait_for
from tactica.stores.sqlite import SQLiteEventStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # The reference application is not installed: it is imported from the repository root.
    monkeypatch.syspath_prepend(str(REPO))
    from examples.allocation import views

    return views


@pytest.fixture
def store(app: ModuleType, tmp_path: Path) -> Iterator[SQLiteEventStore]:
    from examples.allocation import stock_ledger

    path = tmp_path / "ledger.db"
    stock_ledger.create_tables(path)
    store = SQLiteEventStore(path)
    yield store
    store.close()


def ledger_commands() -> list[Any]:
    from examples.allocation.stock_ledger import (
        ReceiveStock,
        ReleaseStock,
        ReserveStock,
        WriteOffStock,
    )

    return [
        ReceiveStock(sku="LAMP", batch_ref="ship-1", qty=20),
        ReceiveStock(sku="CHAIR", batch_ref="wh-1", qty=8),
        ReserveStock(order_id="order-a", sku="LAMP", qty=3),
        ReserveStock(order_id="order-b", sku="LAMP", qty=5),
        ReserveStock(order_id="order-b", sku="CHAIR", qty=2),
        ReleaseStock(order_id="order-a", sku="LAMP"),
        WriteOffStock(sku="LAMP", qty=2, reason="damaged"),
    ]


def ledgers_folded(store: SQLiteEventStore) -> dict[str, tuple[int, int]]:
    from examples.allocation import stock_ledger

    repository = EventSourcedRepository[Any, str](
        stock_ledger.StockLedger, store, codec=stock_ledger.codec, upcasters=stock_ledger.upcasters
    )
    skus = sorted({event.stream_id.removeprefix("StockLedger-") for event in store.read_all()})
    return {
        sku: (ledger.on_hand, ledger.reserved) for sku in skus for ledger in [repository.get(sku)]
    }


def test_the_read_models_equal_each_ledger_folded_from_its_events(
    app: ModuleType, store: SQLiteEventStore
) -> None:
    """After a catch-up, each SKU's stock and each order's reservations match the ledgers."""
    from examples.allocation.stock_ledger import bootstrap_ledger

    bus = bootstrap_ledger(store)
    for command in ledger_commands():
        bus.dispatch(command)
    runner, queries = app.bootstrap_views(store, batch_size=3)
    assert runner.run_until_caught_up() == 7
    view = queries.dispatch(app.StockLevels())
    assert {sku: (level.on_hand, level.reserved) for sku, level in view.items()} == (
        ledgers_folded(store)
    )
    assert view["LAMP"].available == 13
    assert queries.dispatch(app.ReservationsOf(order_id="order-a")) == {}, "released"
    assert queries.dispatch(app.ReservationsOf(order_id="order-b")) == {"LAMP": 5, "CHAIR": 2}


def test_a_runner_started_again_applies_only_the_events_after_its_checkpoint(
    app: ModuleType, store: SQLiteEventStore, tmp_path: Path
) -> None:
    """Each event counts once: a new runner on a new connection resumes after the checkpoint."""
    from examples.allocation.stock_ledger import ReceiveStock, bootstrap_ledger

    bus = bootstrap_ledger(store)
    for command in ledger_commands():
        bus.dispatch(command)
    first, _ = app.bootstrap_views(store)
    assert first.run_until_caught_up() == 7
    assert first.run_until_caught_up() == 0
    bus.dispatch(ReceiveStock(sku="LAMP", batch_ref="ship-2", qty=10))
    reopened = SQLiteEventStore(tmp_path / "ledger.db")
    try:
        again, queries = app.bootstrap_views(reopened)
        assert again.run_until_caught_up() == 1
        status = again.status()
        assert (status.checkpoint, status.head, status.pending) == (8, 8, 0)
        level = queries.dispatch(app.StockLevels())["LAMP"]
    finally:
        reopened.close()
    assert (level.on_hand, level.reserved) == ledgers_folded(store)["LAMP"] == (28, 5)


def test_a_query_after_wait_for_sees_the_command_the_live_runner_just_applied(
    app: ModuleType, store: SQLiteEventStore
) -> None:
    """Read-your-writes: waiting for the position a command reached makes its effect visible."""
    from examples.allocation.stock_ledger import ReceiveStock, ReserveStock, bootstrap_ledger

    bus = bootstrap_ledger(store)
    runner, queries = app.bootstrap_views(store)
    follower = threading.Thread(target=runner.run)
    follower.start()
    try:
        for order in range(5):
            bus.dispatch(ReceiveStock(sku="LAMP", batch_ref=f"ship-{order}", qty=2))
            bus.dispatch(ReserveStock(order_id=f"order-{order}", sku="LAMP", qty=1))
            wait_for(store, app.StockViews.name, app.reached_by(store, "LAMP"), timeout=5)
            held = queries.dispatch(app.ReservationsOf(order_id=f"order-{order}"))
            assert held == {"LAMP": 1}
            level = queries.dispatch(app.StockLevels())["LAMP"]
            assert (level.on_hand, level.reserved) == (2 * (order + 1), order + 1)
    finally:
        runner.stop()
        follower.join(timeout=5)
    assert not follower.is_alive()


def test_a_rebuild_fills_a_new_generation_while_readers_keep_the_live_one(
    app: ModuleType, store: SQLiteEventStore
) -> None:
    """Readers see the old documents until the rebuilt ones, equal to them, are swapped in."""
    from examples.allocation.stock_ledger import bootstrap_ledger

    bus = bootstrap_ledger(store)
    for command in ledger_commands():
        bus.dispatch(command)
    runner, queries = app.bootstrap_views(store, batch_size=2)
    runner.run_until_caught_up()
    live = queries.dispatch(app.StockLevels())
    seen: list[tuple[int, int, bool]] = []

    def progress(position: int, head: int) -> None:
        seen.append((position, head, queries.dispatch(app.StockLevels()) == live))

    assert runner.rebuild(progress=progress) == 7
    assert [position for position, _, _ in seen] == [2, 4, 6, 7, 7]
    assert all(head == 7 and unchanged for _, head, unchanged in seen)
    assert queries.dispatch(app.StockLevels()) == live
    assert store.generation(app.StockViews.name) == 2
    assert runner.status().checkpoint == 7
