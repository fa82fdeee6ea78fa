"""`make demo`: the reference application at level 1, printed step by step.

Value objects, an aggregate that enforces its invariant, the events it records (with their
ids, correlation and causation), the JSON codec, and an in-memory repository that refuses
a stale write exactly as a database-backed one will.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from examples.allocation.domain import Allocated, Batch, OrderLine, OutOfStock, Product
from examples.allocation.service import (
    Allocate,
    ChangeBatchQuantity,
    CreateBatch,
    bootstrap,
)
from tactica import (
    ConcurrencyError,
    ImmutableObjectError,
    InMemoryDatabase,
    InMemoryRepository,
    JsonCodec,
    TypeRegistry,
    message_context,
    uuid7,
)


def heading(title: str) -> None:
    print(f"\n== {title}")


def show_value_objects() -> OrderLine:
    heading("Value objects: equal by value, immutable")
    line = OrderLine(order_id="order-1", sku="RED-CHAIR", qty=2)
    print(f"{line!r}")
    twin = OrderLine(order_id="order-1", sku="RED-CHAIR", qty=2)
    print(f"equal to an identical line: {line == twin}")
    try:
        line.qty = 5  # type: ignore[misc]
    except ImmutableObjectError as error:
        print(f"changing it is refused: {error}")
    try:
        OrderLine(order_id="order-2", sku="RED-CHAIR", qty=0)
    except ValueError as error:
        print(f"an invalid one cannot exist: {error}")
    return line


def show_aggregate(line: OrderLine) -> tuple[Product, list[Allocated]]:
    heading("An aggregate enforcing its invariant, recording events")
    today = datetime.now(UTC).date()
    product = Product(
        id="RED-CHAIR",
        batches=[
            Batch(
                id="ship-1",
                sku="RED-CHAIR",
                purchased_quantity=10,
                eta=today + timedelta(days=7),
                allocations=[],
            ),
            Batch(id="warehouse-1", sku="RED-CHAIR", purchased_quantity=3, allocations=[]),
        ],
    )
    correlation = uuid7()
    with message_context(correlation_id=correlation, causation_id=correlation):
        print(f"order-1 (2 chairs) goes to {product.allocate(line)}  (warehouse stock first)")
        second = OrderLine(order_id="order-2", sku="RED-CHAIR", qty=4)
        print(f"order-2 (4 chairs) goes to {product.allocate(second)}  (the warehouse has 1 left)")
    try:
        product.allocate(OrderLine(order_id="order-3", sku="RED-CHAIR", qty=50))
    except OutOfStock as error:
        print(f"order-3 (50 chairs) is refused: {error}")
    events = [event for event in product.pull_events() if isinstance(event, Allocated)]
    for event in events:
        print(
            f"event {type(event).__name__} {event.order_id} -> {event.batch_ref}: "
            f"id {event.event_id}, at {event.occurred_at:%H:%M:%S.%f}, "
            f"correlation {'set' if event.correlation_id == correlation else 'missing'}"
        )
    print(f"events pending after pull_events(): {len(product.pending_events)}")
    return product, events


def show_codec(events: list[Allocated]) -> None:
    heading("The codec: registered names, exact round trips")
    codec = JsonCodec(TypeRegistry([Allocated]))
    data = codec.encode(events[0])
    print(data.decode())
    back = codec.decode_named("allocation.allocated", data)
    print(f"decoded by its registered name, equal to the original: {back == events[0]}")


def show_repository(product: Product) -> None:
    heading("A repository that detects stale writes")
    database = InMemoryDatabase()
    repository = InMemoryRepository[Product, str](Product, database)
    repository.add(product)
    repository.commit()
    alice = InMemoryRepository[Product, str](Product, database)
    bob = InMemoryRepository[Product, str](Product, database)
    alices_copy = alice.get("RED-CHAIR")
    bobs_copy = bob.get("RED-CHAIR")
    print(f"Alice and Bob both load version {alices_copy.version}")
    alices_copy.allocate(OrderLine(order_id="order-4", sku="RED-CHAIR", qty=1))
    alice.commit()
    print(f"Alice allocates and commits: version {alice.get('RED-CHAIR').version} is stored")
    bobs_copy.allocate(OrderLine(order_id="order-5", sku="RED-CHAIR", qty=1))
    try:
        bob.commit()
    except ConcurrencyError as error:
        print(f"Bob's commit from the stale copy is refused: {error}")
    stored = InMemoryRepository[Product, str](Product, database).get("RED-CHAIR")
    orders = sorted(a.order_id for batch in stored.batches for a in batch.allocations)
    print(f"stored allocations: {', '.join(orders)} (nothing lost, nothing overwritten)")


class Trace:
    """Middleware recording each message once, indented by how it was caused."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.seen: set[object] = set()
        self.depth = 0

    def __call__(self, message: object, call_next: Callable[[object], object]) -> object:
        key = getattr(message, "message_id", None) or getattr(message, "event_id", None)
        if key not in self.seen:
            self.seen.add(key)
            fields = {
                name: value
                for name, value in vars(message).items()
                if name in {"order_id", "ref", "qty", "batch_ref"}
            }
            self.lines.append("  " * self.depth + f"{type(message).__name__} {fields}")
        self.depth += 1
        try:
            return call_next(message)
        finally:
            self.depth -= 1


def show_service() -> None:
    heading("Level 2: commands on a bus, a SQLite unit of work, events and a view")
    with tempfile.TemporaryDirectory() as directory:
        trace = Trace()
        bus, view = bootstrap(Path(directory) / "allocation.db", middleware=[trace])
        bus.dispatch(CreateBatch(ref="ship-1", sku="LAMP", qty=10, eta=date(2031, 1, 1)))
        bus.dispatch(CreateBatch(ref="warehouse-1", sku="LAMP", qty=5))
        print("created batches warehouse-1 (5 lamps) and ship-1 (10 lamps, arriving later)")
        first = Allocate(order_id="order-a", sku="LAMP", qty=3)
        print(f"Allocate order-a (3 lamps) -> {bus.dispatch(first)}")
        second = Allocate(order_id="order-b", sku="LAMP", qty=2)
        print(f"Allocate order-b (2 lamps) -> {bus.dispatch(second)}")
        print(f"view: {view.batch_of}")
        print("ChangeBatchQuantity warehouse-1 to 3 lamps: order-b no longer fits, so")
        trace.lines.clear()
        bus.dispatch(ChangeBatchQuantity(ref="warehouse-1", sku="LAMP", qty=3))
        for line in trace.lines:
            print(f"  {line}")
        print(f"view: {view.batch_of}")


def main() -> None:
    line = show_value_objects()
    product, events = show_aggregate(line)
    show_codec(events)
    show_repository(product)
    show_service()


if __name__ == "__main__":
    main()
