"""The allocation service at level 5: read models of the stock ledger, kept by a projection.

`StockViews` turns the ledger's events into documents in the same SQLite file as the
events: ``stock`` (one per SKU: on hand and reserved) and ``orders`` (one per order: the
quantity reserved of each SKU). A `ProjectionRunner` applies each batch of events and
moves the projection's checkpoint in one transaction, so every event counts exactly once,
whenever the process dies. The queries read those documents, never the events: a read
model can lag behind a command, so a caller that must see its own write waits for the
position the command reached (`reached_by`) with `wait_for`.
"""

from __future__ import annotations

from typing import Any

from examples.allocation import stock_ledger
from examples.allocation.stock_ledger import (
    ReservationReleased,
    StockReceived,
    StockReserved,
    StockWrittenOff,
)
from tactica import Handlers, MessageBus
from tactica.dataclasses import Query, ValueObject
from tactica.ports import EventStore
from tactica.projections import Projection, ProjectionRunner, ProjectionTransaction, handles
from tactica.stores.sqlite import SQLiteEventStore

POLL_INTERVAL = 0.05
"""How often an idle runner looks for events committed by other processes (in seconds).

Commits made in this process wake it at once; other processes' are found by polling.
"""


class StockLevel(ValueObject):
    """What the read model says about one SKU: on hand, reserved, and so available."""

    sku: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockViews(Projection):
    """Stock per SKU and reservations per order, from the stock ledger's events."""

    name = "allocation.stock-views"

    @handles
    def received(self, event: StockReceived, tx: ProjectionTransaction) -> None:
        _add_stock(tx, event.sku, on_hand=event.qty)

    @handles
    def reserved(self, event: StockReserved, tx: ProjectionTransaction) -> None:
        order: dict[str, int] = tx.get("orders", event.order_id) or {}
        tx.put("orders", event.order_id, {**order, event.sku: event.qty})
        _add_stock(tx, event.sku, reserved=event.qty)

    @handles
    def released(self, event: ReservationReleased, tx: ProjectionTransaction) -> None:
        order: dict[str, int] = dict(tx.get("orders", event.order_id) or {})
        order.pop(event.sku, None)
        if order:
            tx.put("orders", event.order_id, order)
        else:
            tx.delete("orders", event.order_id)
        _add_stock(tx, event.sku, reserved=-event.qty)

    @handles
    def written_off(self, event: StockWrittenOff, tx: ProjectionTransaction) -> None:
        _add_stock(tx, event.sku, on_hand=-event.qty)


def _add_stock(tx: ProjectionTransaction, sku: str, *, on_hand: int = 0, reserved: int = 0) -> None:
    stock: dict[str, Any] = tx.get("stock", sku) or {"on_hand": 0, "reserved": 0}
    stock["on_hand"] += on_hand
    stock["reserved"] += reserved
    tx.put("stock", sku, stock)


class StockLevels(Query[dict[str, StockLevel]], name="allocation.stock-levels"):
    """Every SKU's stock, as the read model has it."""


class ReservationsOf(Query[dict[str, int]], name="allocation.reservations-of"):
    """The quantity an order holds of each SKU (empty: none)."""

    order_id: str


queries = Handlers()


@queries.query(message_type=StockLevels)
def stock_levels(_query: StockLevels, store: SQLiteEventStore) -> dict[str, StockLevel]:
    documents = store.documents(StockViews.name, "stock")
    return {
        sku: StockLevel(sku=sku, on_hand=stock["on_hand"], reserved=stock["reserved"])
        for sku, stock in documents.items()
    }


@queries.query(message_type=ReservationsOf)
def reservations_of(query: ReservationsOf, store: SQLiteEventStore) -> dict[str, int]:
    order: dict[str, int] | None = store.document(StockViews.name, "orders", query.order_id)
    return order or {}


def reached_by(store: EventStore, sku: str) -> int:
    """Return the global position of the latest event of `sku`'s ledger.

    Right after a command on that SKU it is the position the command's commit reached:
    waiting for it is waiting for one's own write.
    """
    [latest] = store.read(f"StockLedger-{sku}", backwards=True, limit=1)
    return latest.position


def bootstrap_views(
    store: SQLiteEventStore, *, batch_size: int = 100
) -> tuple[ProjectionRunner, MessageBus]:
    """Build the projection's runner on `store`, and the bus of the queries reading it.

    The runner applies up to `batch_size` events per transaction. A handler that keeps
    failing on an event stops the runner there (``poison="stop"``, the default): stock
    figures that skipped an event would be wrong from then on.
    """
    runner = ProjectionRunner(
        store,
        StockViews(),
        codec=stock_ledger.codec,
        upcasters=stock_ledger.upcasters,
        batch_size=batch_size,
        poll_interval=POLL_INTERVAL,
    )
    return runner, MessageBus(queries, dependencies={"store": store})
