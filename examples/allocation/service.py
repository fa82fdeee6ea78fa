"""The allocation service at level 2: commands on a bus, a SQLite unit of work, a view.

`bootstrap` is the composition root: it wires the handlers, the unit of work factory and
the read model explicitly, as Cosmic Python's ``bootstrap.py`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from examples.allocation.domain import (
    Allocated,
    Batch,
    Deallocated,
    OrderLine,
    Product,
)
from tactica import Handlers, MessageBus
from tactica.dataclasses import Command
from tactica.messaging import Middleware
from tactica.stores.sqlite import SQLiteConnection, SQLiteUnitOfWork, create_schema


class CreateBatch(Command[None], name="allocation.create-batch"):
    ref: str
    sku: str
    qty: int
    eta: date | None = None


class Allocate(Command[str], name="allocation.allocate"):
    order_id: str
    sku: str
    qty: int


class ChangeBatchQuantity(Command[None], name="allocation.change-batch-quantity"):
    ref: str
    sku: str
    qty: int


class AllocationWork(SQLiteUnitOfWork):
    """The unit of work of the service: one repository, of products."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.products = self.repository(Product)


@dataclass
class AllocationsView:
    """The read model: which batch each order line sits in, kept by event handlers."""

    batch_of: dict[str, str] = field(default_factory=dict[str, str])


handlers = Handlers()


@handlers.command(message_type=CreateBatch)
def create_batch(command: CreateBatch, uow: AllocationWork) -> None:
    with uow:
        product = uow.products.find(command.sku)
        batch = Batch(
            id=command.ref,
            sku=command.sku,
            purchased_quantity=command.qty,
            eta=command.eta,
            allocations=[],
        )
        if product is None:
            uow.products.add(Product(id=command.sku, batches=[batch]))
        else:
            product.add_batch(batch)
        uow.commit()


@handlers.command(message_type=Allocate)
def allocate(command: Allocate, uow: AllocationWork) -> str:
    with uow:
        product = uow.products.get(command.sku)
        ref = product.allocate(
            OrderLine(order_id=command.order_id, sku=command.sku, qty=command.qty)
        )
        uow.commit()
    return ref


@handlers.command(message_type=ChangeBatchQuantity)
def change_batch_quantity(command: ChangeBatchQuantity, uow: AllocationWork) -> None:
    with uow:
        uow.products.get(command.sku).change_batch_quantity(command.ref, command.qty)
        uow.commit()


@handlers.event(message_type=Allocated)
def remember_allocation(event: Allocated, view: AllocationsView) -> None:
    view.batch_of[event.order_id] = event.batch_ref


@handlers.event(message_type=Deallocated)
def forget_allocation(event: Deallocated, view: AllocationsView) -> None:
    view.batch_of.pop(event.order_id, None)


@handlers.event(message_type=Deallocated)
def reallocate(event: Deallocated, bus: MessageBus) -> None:
    # The bus gives itself to a parameter annotated with its class: no holder needed.
    bus.dispatch(Allocate(order_id=event.order_id, sku=event.sku, qty=event.qty))


def bootstrap(
    path: Path, middleware: Sequence[Middleware] = ()
) -> tuple[MessageBus, AllocationsView]:
    """Build the service on the SQLite file at `path`: its bus and its read model."""
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    view = AllocationsView()
    bus = MessageBus(
        handlers,
        dependencies={"view": view},
        unit_of_work=lambda: AllocationWork(path),
        middleware=middleware,
    )
    return bus, view
