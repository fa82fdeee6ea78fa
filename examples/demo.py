"""`make demo`: the reference application, printed step by step.

Level 1: value objects, an aggregate that enforces its invariant, the events it records
(with their ids, correlation and causation), the JSON codec, and an in-memory repository
that refuses a stale write exactly as a database-backed one will. Level 2: the service on a
message bus with a SQLite unit of work. Level 4: an event-sourced stock ledger in a SQLite
event store, replayed, read as of an earlier version, raced, snapshotted and upcast. Level 5:
a projection keeping the ledger's read models in the same SQLite file, caught up, followed
live, read right after a write, and rebuilt into a fresh generation.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from examples.allocation import stock_ledger
from examples.allocation.domain import Allocated, Batch, OrderLine, OutOfStock, Product
from examples.allocation.service import (
    Allocate,
    ChangeBatchQuantity,
    CreateBatch,
    bootstrap,
)
from examples.allocation.stock_ledger import (
    SNAPSHOT_EVERY,
    LedgerWork,
    ReceiveStock,
    ReleaseStock,
    ReserveStock,
    StockLedger,
    WriteOffStock,
    bootstrap_ledger,
    create_tables,
)
from examples.allocation.views import (
    ReservationsOf,
    StockLevel,
    StockLevels,
    StockViews,
    bootstrap_views,
    reached_by,
)
from tactica import (
    ConcurrencyError,
    ImmutableObjectError,
    InMemoryDatabase,
    InMemoryRepository,
    JsonCodec,
    MessageBus,
    TypeRegistry,
    message_context,
    uuid7,
)
from tactica.codec import decode_stored
from tactica.dataclasses import Command
from tactica.errors import WrongExpectedVersionError
from tactica.eventsourcing import EventSourcedRepository
from tactica.ports import NO_STREAM, NewEvent, RecordedEvent
from tactica.projections import ProjectionRunner, ProjectionStatus, wait_for
from tactica.stores.sqlite import SQLiteEventStore


def heading(title: str) -> None:
    print(f"\n== {title}")


def show_value_objects() -> OrderLine:
    heading("Value objects: equal by value, immutable")
    line = OrderLine(order_id="order-1", sku="RED-CHAIR", qty=2)
    print(f"{line!r}")
    twin = OrderLine(order_id="order-1", sku="RED-CHAIR", qty=2)
    print(f"equal to an identical line: {line == twin}")
    try:
        line.qty = 5  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
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


class CountingEventStore(SQLiteEventStore):
    """The ledger's SQLite event store, counting the events its stream reads hand back."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.events_read = 0

    def read(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        backwards: bool = False,
        limit: int | None = None,
    ) -> list[RecordedEvent]:
        events = super().read(
            stream_id,
            from_version=from_version,
            to_version=to_version,
            backwards=backwards,
            limit=limit,
        )
        self.events_read += len(events)
        return events


def store_previous_release_history(store: SQLiteEventStore) -> str:
    """Append DESK's first event as the previous release wrote it: schema version 1."""
    event_id = uuid7()
    occurred_at = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
    document = {"sku": "DESK", "units": 12}
    identity = {"event_id": str(event_id), "occurred_at": "2025-11-03T09:00:00Z"}
    payload = json.dumps({**identity, **document}, separators=(",", ":")).encode()
    old = NewEvent("allocation.stock-received", payload, event_id, occurred_at, schema_version=1)
    store.append("StockLedger-DESK", [old], NO_STREAM)
    return json.dumps(document, separators=(",", ":"))


def where(event: RecordedEvent) -> str:
    return f"@{event.position} {event.stream_id} v{event.stream_version} {event.type_name}"


def describe(ledger: StockLedger) -> str:
    orders = ", ".join(reservation.order_id for reservation in ledger.reservations)
    return (
        f"on hand {ledger.on_hand}, reserved {ledger.reserved} ({orders}), "
        f"available {ledger.available}, version {ledger.version}"
    )


LEDGER_COMMANDS: list[tuple[str, Command[int]]] = [
    ("ReceiveStock 20 LAMP (ship-1)", ReceiveStock(sku="LAMP", batch_ref="ship-1", qty=20)),
    ("ReceiveStock 8 CHAIR (wh-1)", ReceiveStock(sku="CHAIR", batch_ref="wh-1", qty=8)),
    ("ReserveStock 3 LAMP for order-a", ReserveStock(order_id="order-a", sku="LAMP", qty=3)),
    ("ReserveStock 5 LAMP for order-b", ReserveStock(order_id="order-b", sku="LAMP", qty=5)),
    ("ReserveStock 2 DESK for order-c", ReserveStock(order_id="order-c", sku="DESK", qty=2)),
    ("ReleaseStock LAMP of order-a", ReleaseStock(order_id="order-a", sku="LAMP")),
    ("WriteOffStock 2 LAMP (damaged)", WriteOffStock(sku="LAMP", qty=2, reason="damaged")),
]


def show_commands(bus: MessageBus, store: SQLiteEventStore) -> None:
    print("commands -> available stock, and the event appended (@position stream vversion):")
    last = store.read_all()[-1].position
    for label, command in LEDGER_COMMANDS:
        available = bus.dispatch(command)
        appended = store.read_all(after=last)
        last = appended[-1].position
        print(f"  {label:<35} -> {available:>2}  {', '.join(map(where, appended))}")


def show_upcast_replay_and_temporal_read(store: CountingEventStore) -> None:
    [desk_v1] = store.read("StockLedger-DESK", to_version=1)
    upcast = decode_stored(
        stock_ledger.codec,
        stock_ledger.upcasters,
        desk_v1.type_name,
        desk_v1.schema_version,
        desk_v1.payload,
        event_id=desk_v1.event_id,
        stream_id=desk_v1.stream_id,
    )
    print(
        f"DESK's v1 event reads as {type(upcast).__name__} v2 through the upcaster: "
        f"qty={upcast.qty}, batch_ref={upcast.batch_ref!r}"
    )
    with LedgerWork(store) as uow:
        store.events_read = 0
        lamp = uow.ledgers.get("LAMP")
        print(f"LAMP reloaded by replaying {store.events_read} events: {describe(lamp)}")
        print(f"LAMP as of version 3 (get_at): {describe(uow.ledgers.get_at('LAMP', 3))}")


def show_race_and_snapshot(bus: MessageBus, store: CountingEventStore) -> None:
    with LedgerWork(store) as alice, LedgerWork(store) as bob:
        alices = alice.ledgers.get("LAMP")
        bobs = bob.ledgers.get("LAMP")
        print(f"Alice and Bob both load LAMP at version {alices.version}")
        alices.reserve("order-d", 4)
        alice.commit()
        print(f"Alice reserves 4 for order-d and commits: LAMP is at version {alices.version}")
        bobs.reserve("order-e", 3)
        try:
            bob.commit()
        except WrongExpectedVersionError as error:
            print(f"Bob's reservation for order-e is refused: {type(error).__name__}: {error}")
    store.events_read = 0
    available = bus.dispatch(ReserveStock(order_id="order-e", sku="LAMP", qty=3))
    folded = store.events_read
    print(f"Bob's command, dispatched again, loads afresh and succeeds: available {available}")
    snapshot = store.load_snapshot("StockLedger-LAMP")
    assert snapshot is not None
    print(
        f"that load folded {folded} events (snapshot_every={SNAPSHOT_EVERY}), "
        f"so it saved a snapshot at version {snapshot.version}"
    )
    with LedgerWork(store) as uow:
        store.events_read = 0
        lamp = uow.ledgers.get("LAMP")
        read = store.events_read
        print(
            f"the next load reads {read} events, the snapshot's own (proving the stream reaches "
            f"it) and {read - 1} to fold onto it: {describe(lamp)}"
        )
    replayed = EventSourcedRepository[StockLedger, str](
        StockLedger, store, codec=stock_ledger.codec, upcasters=stock_ledger.upcasters
    ).get("LAMP")
    same = stock_ledger.codec.encode(replayed) == stock_ledger.codec.encode(lamp)
    print(f"the same state as a full replay: {same}")


def show_event_sourcing() -> None:
    heading("Level 4: an event-sourced stock ledger in a SQLite event store")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.db"
        create_tables(path)
        store = CountingEventStore(path)
        try:
            old = store_previous_release_history(store)
            print(f"the previous release left DESK's first event (@1, schema v1): {old}")
            bus = bootstrap_ledger(store)
            show_commands(bus, store)
            show_upcast_replay_and_temporal_read(store)
            show_race_and_snapshot(bus, store)
        finally:
            store.close()


BATCH = 4
"""Events per projection batch in the level-5 part: small, so the rebuild reports progress."""


def lag(status: ProjectionStatus) -> str:
    return f"checkpoint {status.checkpoint}, head {status.head}, pending {status.pending}"


def levels(view: dict[str, StockLevel]) -> str:
    return ", ".join(
        f"{sku} {level.on_hand}-{level.reserved}={level.available}" for sku, level in view.items()
    )


def show_live_projection(bus: MessageBus, runner: ProjectionRunner, queries: MessageBus) -> None:
    print(f"before the runner starts: {lag(runner.status())}")
    follower = threading.Thread(target=runner.run)
    follower.start()
    try:
        wait_for(runner.store, StockViews.name, runner.status().head)
        print(f"the runner catches up, then follows live: {lag(runner.status())}")
        print(f"stock (on hand-reserved=available): {levels(queries.dispatch(StockLevels()))}")
        bus.dispatch(ReserveStock(order_id="order-f", sku="CHAIR", qty=5))
        position = reached_by(runner.store, "CHAIR")
        wait_for(runner.store, StockViews.name, position)
        held = queries.dispatch(ReservationsOf(order_id="order-f"))
        print(f"ReserveStock 5 CHAIR for order-f, wait_for(@{position}): order-f holds {held}")
    finally:
        runner.stop()
        follower.join()


def show_rebuild(runner: ProjectionRunner, queries: MessageBus) -> None:
    live = queries.dispatch(StockLevels())
    generation = runner.store.generation(StockViews.name)
    reached: list[str] = []
    undisturbed = True

    def progress(position: int, head: int) -> None:
        nonlocal undisturbed
        if f"{position}/{head}" not in reached:
            reached.append(f"{position}/{head}")
        undisturbed = undisturbed and queries.dispatch(StockLevels()) == live

    runner.rebuild(progress=progress)
    print(f"rebuild, {BATCH} events a batch, position/head: {', '.join(reached)}")
    print(f"readers saw the live view all along: {undisturbed}")
    rebuilt = queries.dispatch(StockLevels())
    moved = runner.store.generation(StockViews.name)
    print(f"the rebuilt view equals the live one: {rebuilt == live}")
    print(f"readers now see generation {moved} (it was {generation})")


def show_projections() -> None:
    heading("Level 5: a projection keeps read models in the same SQLite file")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.db"
        create_tables(path)
        store = SQLiteEventStore(path)
        try:
            store_previous_release_history(store)
            bus = bootstrap_ledger(store)
            for _, command in LEDGER_COMMANDS:
                bus.dispatch(command)
            print(f"the level-4 history again: DESK's v1 event and {len(LEDGER_COMMANDS)} commands")
            runner, queries = bootstrap_views(store, batch_size=BATCH)
            show_live_projection(bus, runner, queries)
            show_rebuild(runner, queries)
        finally:
            store.close()


def main() -> None:
    line = show_value_objects()
    product, events = show_aggregate(line)
    show_codec(events)
    show_repository(product)
    show_service()
    show_event_sourcing()
    show_projections()


if __name__ == "__main__":
    main()
