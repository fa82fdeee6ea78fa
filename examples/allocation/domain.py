"""The allocation domain: value objects, one aggregate, its events."""

from __future__ import annotations

from datetime import date

from tactica.dataclasses import AggregateRoot, DomainEvent, Entity, ValueObject


class OutOfStock(Exception):
    """No batch of the product can take the order line."""


class OrderLine(ValueObject):
    order_id: str
    sku: str
    qty: int

    def check_invariants(self) -> None:
        if self.qty <= 0:
            raise ValueError(f"an order line needs a positive quantity, got {self.qty}")


class Allocated(DomainEvent, name="allocation.allocated"):
    order_id: str
    sku: str
    qty: int
    batch_ref: str


class Deallocated(DomainEvent, name="allocation.deallocated"):
    order_id: str
    sku: str
    qty: int


class Batch(Entity[str]):
    sku: str
    purchased_quantity: int
    eta: date | None = None
    allocations: list[OrderLine]

    @property
    def available_quantity(self) -> int:
        return self.purchased_quantity - sum(line.qty for line in self.allocations)

    def can_allocate(self, line: OrderLine) -> bool:
        return (
            line.sku == self.sku
            and line.qty <= self.available_quantity
            and line not in self.allocations
        )


class Product(AggregateRoot[str]):
    """One SKU and its batches: the consistency boundary for allocation."""

    batches: list[Batch]

    def check_invariants(self) -> None:
        for batch in self.batches:
            if batch.sku != self.id:
                raise ValueError(f"batch {batch.id} holds {batch.sku}, not {self.id}")

    def allocate(self, line: OrderLine) -> str:
        """Put the line in the earliest batch that can take it (warehouse stock first)."""
        candidates = [batch for batch in self.batches if batch.can_allocate(line)]
        if not candidates:
            raise OutOfStock(f"out of stock for {line.sku}: cannot allocate {line.qty}")
        batch = min(candidates, key=lambda b: (b.eta is not None, b.eta or date.min))
        batch.allocations.append(line)
        self.record(
            Allocated(order_id=line.order_id, sku=line.sku, qty=line.qty, batch_ref=batch.id)
        )
        return batch.id

    def add_batch(self, batch: Batch) -> None:
        """Take in a new batch of this product's stock."""
        self.batches.append(batch)

    def change_batch_quantity(self, ref: str, quantity: int) -> None:
        """Correct a batch's size; lines it can no longer hold are given up, newest first."""
        batch = next(batch for batch in self.batches if batch.id == ref)
        batch.purchased_quantity = quantity
        while batch.available_quantity < 0:
            line = batch.allocations.pop()
            self.record(Deallocated(order_id=line.order_id, sku=line.sku, qty=line.qty))
