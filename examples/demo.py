"""`make demo`: the reference application at level 1, printed step by step.

Value objects, an aggregate that enforces its invariant, the events it records (with their
ids, correlation and causation), the JSON codec, and an in-memory repository that refuses
a stale write exactly as a database-backed one will.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.allocation.domain import Allocated, Batch, OrderLine, OutOfStock, Product
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


def main() -> None:
    line = show_value_objects()
    product, events = show_aggregate(line)
    show_codec(events)
    show_repository(product)


if __name__ == "__main__":
    main()
