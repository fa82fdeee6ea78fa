"""The allocation service at level 4: an event-sourced stock ledger in a SQLite event store.

Each SKU's stock is a `StockLedger`, an `EventSourcedAggregate` whose state is the fold of
its events: stock received, reserved for an order, released, written off. Nothing else is
stored; loading a ledger replays its stream (from a snapshot once the stream is long), and
a command appends the new events at the version it read, so a concurrent change is refused.

`StockReceived` is at schema version 2: the previous release stored ``units`` and no
batch, and the upcaster below brings those stored documents to version 2 when they are
read. `bootstrap_ledger` is the composition root.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self, TypeAlias, assert_never

from tactica import Handlers, JsonCodec, MessageBus, TypeRegistry, Upcasters
from tactica.dataclasses import Command, DomainEvent, EventSourcedAggregate, ValueObject
from tactica.eventsourcing import EventSourcedUnitOfWork
from tactica.messaging import Middleware, RetryOnConflict
from tactica.stores.sqlite import SQLiteConnection, SQLiteEventStore, create_schema

SNAPSHOT_EVERY = 6
"""A load that has to fold this many events saves a snapshot, so later loads fold the tail."""


class NotEnoughStock(Exception):
    """A reservation or write-off asked for more than is available."""


class Reservation(ValueObject):
    order_id: str
    qty: int


class StockReceived(DomainEvent, name="allocation.stock-received", version=2):
    """Stock came in. Version 1 stored ``units`` and no batch; see `stock_received_v1_to_v2`."""

    sku: str
    batch_ref: str
    qty: int


class StockReserved(DomainEvent, name="allocation.stock-reserved"):
    sku: str
    order_id: str
    qty: int


class ReservationReleased(DomainEvent, name="allocation.reservation-released"):
    sku: str
    order_id: str
    qty: int


class StockWrittenOff(DomainEvent, name="allocation.stock-written-off"):
    sku: str
    qty: int
    reason: str


StockEvent: TypeAlias = StockReceived | StockReserved | ReservationReleased | StockWrittenOff


class StockLedger(EventSourcedAggregate[str, StockEvent]):
    """One SKU's stock (the id is the SKU): what is on hand and what is promised to orders."""

    on_hand: int = 0
    reservations: tuple[Reservation, ...] = ()

    @classmethod
    def start(cls, sku: str) -> Self:
        """A ledger with no history yet; its first event starts the stream."""
        return cls.blank(sku)

    @property
    def reserved(self) -> int:
        return sum(reservation.qty for reservation in self.reservations)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def receive(self, batch_ref: str, qty: int) -> None:
        if qty <= 0:
            raise ValueError(f"receive a positive quantity, not {qty}")
        self.apply(StockReceived(sku=self.id, batch_ref=batch_ref, qty=qty))

    def reserve(self, order_id: str, qty: int) -> None:
        if any(reservation.order_id == order_id for reservation in self.reservations):
            raise ValueError(f"{order_id} already holds a reservation of {self.id}")
        if qty > self.available:
            raise NotEnoughStock(f"{self.id}: {qty} asked, {self.available} available")
        self.apply(StockReserved(sku=self.id, order_id=order_id, qty=qty))

    def release(self, order_id: str) -> None:
        """Give the order's reserved stock back; an order without a reservation is a no-op."""
        held = [r.qty for r in self.reservations if r.order_id == order_id]
        if held:
            self.apply(ReservationReleased(sku=self.id, order_id=order_id, qty=held[0]))

    def write_off(self, qty: int, reason: str) -> None:
        if qty <= 0:
            raise ValueError(f"write off a positive quantity, not {qty}")
        if qty > self.available:
            raise NotEnoughStock(f"{self.id}: cannot write off {qty}, {self.available} available")
        self.apply(StockWrittenOff(sku=self.id, qty=qty, reason=reason))

    def evolve(self, event: StockEvent) -> None:
        match event:
            case StockReceived(qty=qty):
                self.on_hand += qty
            case StockReserved(order_id=order_id, qty=qty):
                self.reservations = (*self.reservations, Reservation(order_id=order_id, qty=qty))
            case ReservationReleased(order_id=order_id):
                self.reservations = tuple(
                    reservation
                    for reservation in self.reservations
                    if reservation.order_id != order_id
                )
            case StockWrittenOff(qty=qty):
                self.on_hand -= qty
            case _:
                assert_never(event)


codec = JsonCodec(
    TypeRegistry([StockReceived, StockReserved, ReservationReleased, StockWrittenOff])
)
upcasters = Upcasters()


@upcasters.register("allocation.stock-received", from_version=1)
def stock_received_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 counted ``units`` and did not record batches."""
    data["qty"] = data.pop("units")
    data["batch_ref"] = "unknown"
    return data


class ReceiveStock(Command[int], name="allocation.receive-stock"):
    """Add stock to a SKU's ledger; the result is what is available after it."""

    sku: str
    batch_ref: str
    qty: int


class ReserveStock(Command[int], name="allocation.reserve-stock"):
    order_id: str
    sku: str
    qty: int


class ReleaseStock(Command[int], name="allocation.release-stock"):
    order_id: str
    sku: str


class WriteOffStock(Command[int], name="allocation.write-off-stock"):
    sku: str
    qty: int
    reason: str


class LedgerWork(EventSourcedUnitOfWork):
    """The unit of work of the ledger: one event-sourced repository, snapshots in the store."""

    def __init__(self, store: SQLiteEventStore) -> None:
        super().__init__(store)
        self.ledgers = self.event_sourced(
            StockLedger,
            codec=codec,
            upcasters=upcasters,
            snapshots=store,
            snapshot_every=SNAPSHOT_EVERY,
        )

    def ledger(self, sku: str) -> StockLedger:
        """The SKU's ledger, or a new one (tracked) when it has no history yet."""
        found: StockLedger | None = self.ledgers.find(sku)
        if found is None:
            found = StockLedger.start(sku)
            self.ledgers.add(found)
        return found


handlers = Handlers()


@handlers.command(message_type=ReceiveStock)
def receive_stock(command: ReceiveStock, uow: LedgerWork) -> int:
    with uow:
        ledger = uow.ledger(command.sku)
        ledger.receive(command.batch_ref, command.qty)
        uow.commit()
    return ledger.available


@handlers.command(message_type=ReserveStock)
def reserve_stock(command: ReserveStock, uow: LedgerWork) -> int:
    with uow:
        ledger: StockLedger = uow.ledgers.get(command.sku)
        ledger.reserve(command.order_id, command.qty)
        uow.commit()
    return ledger.available


@handlers.command(message_type=ReleaseStock)
def release_stock(command: ReleaseStock, uow: LedgerWork) -> int:
    with uow:
        ledger: StockLedger = uow.ledgers.get(command.sku)
        ledger.release(command.order_id)
        uow.commit()
    return ledger.available


@handlers.command(message_type=WriteOffStock)
def write_off_stock(command: WriteOffStock, uow: LedgerWork) -> int:
    with uow:
        ledger: StockLedger = uow.ledgers.get(command.sku)
        ledger.write_off(command.qty, command.reason)
        uow.commit()
    return ledger.available


def create_tables(path: Path) -> None:
    """Create tactica's tables (events, snapshots, outbox) in the SQLite file at `path`."""
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()


def bootstrap_ledger(store: SQLiteEventStore, middleware: Sequence[Middleware] = ()) -> MessageBus:
    """Build the ledger's bus on `store`.

    The upcasters are checked against the registry here, at start-up. A command that loses
    an optimistic-concurrency race stored nothing, so `RetryOnConflict` runs it again on a
    fresh load.
    """
    upcasters.validate(codec.registry)
    retry = RetryOnConflict([ReceiveStock, ReserveStock, ReleaseStock, WriteOffStock])
    return MessageBus(
        handlers, unit_of_work=lambda: LedgerWork(store), middleware=[*middleware, retry]
    )
