"""The allocation service wired from a dishka container behaves as the plain one does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dishka_root(monkeypatch):
    # The reference application is not installed: it is imported from the repository root.
    monkeypatch.syspath_prepend(str(REPO))
    from examples.allocation import dishka_root

    return dishka_root


def test_commands_on_the_dishka_built_bus_commit_to_sqlite_each_in_a_fresh_unit_of_work(
    dishka_root, tmp_path, monkeypatch
) -> None:
    """Commands on the container-built bus are stored in the SQLite file, each in its own unit
    of work, and their events reach the read model the container holds."""
    from examples.allocation.service import (
        Allocate,
        AllocationWork,
        ChangeBatchQuantity,
        CreateBatch,
    )

    made: list[AllocationWork] = []
    make = dishka_root.AllocationWorkFactory.__call__

    def recording(factory):
        made.append(make(factory))
        return made[-1]

    monkeypatch.setattr(dishka_root.AllocationWorkFactory, "__call__", recording)
    database = tmp_path / "allocation.db"
    with dishka_root.make_container(database) as container:
        bus, view = dishka_root.bootstrap_with_dishka(container)
        bus.dispatch(CreateBatch(ref="ship-1", sku="LAMP", qty=10, eta=date(2031, 1, 1)))
        bus.dispatch(CreateBatch(ref="warehouse-1", sku="LAMP", qty=5))
        assert bus.dispatch(Allocate(order_id="order-a", sku="LAMP", qty=3)) == "warehouse-1"
        assert bus.dispatch(Allocate(order_id="order-b", sku="LAMP", qty=2)) == "warehouse-1"

        made.clear()
        # order-b no longer fits: its Deallocated event dispatches Allocate, a second command.
        bus.dispatch(ChangeBatchQuantity(ref="warehouse-1", sku="LAMP", qty=3))
        assert len(made) == 2
        assert made[0] is not made[1]

        assert view is container.get(dishka_root.AllocationsView)
        assert view.batch_of == {"order-a": "warehouse-1", "order-b": "ship-1"}

    with AllocationWork(database) as uow:
        product = uow.products.get("LAMP")
    stored = {
        batch.id: (batch.purchased_quantity, [line.order_id for line in batch.allocations])
        for batch in product.batches
    }
    assert stored == {"ship-1": (10, ["order-b"]), "warehouse-1": (3, ["order-a"])}
