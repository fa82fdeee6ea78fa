"""Type checkers understand projections: mypy --strict and pyright strict check this file.

Both `handles` forms keep the decorated method's type, a unit of work's commit returns
the position `wait_for` takes, and runners report a typed status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_type

from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.projections import (
    AsyncProjectionStore,
    Projection,
    ProjectionRunner,
    ProjectionStatus,
    ProjectionStore,
    ProjectionTransaction,
    handles,
    projection,
    wait_for,
)
from tactica.stores.memory import (
    AsyncInMemoryEventStore,
    InMemoryDatabase,
    InMemoryEventStore,
    InMemoryUnitOfWork,
)
from tactica.stores.postgres import AsyncPostgresEventStore, PostgresEventStore
from tactica.stores.sqlite import AsyncSQLiteEventStore, SQLiteEventStore


class Shipped(DomainEvent, name="typing.projections.shipped"):
    order: str


class Returned(DomainEvent, name="typing.projections.returned"):
    order: str


class Orders(Projection):
    name = "typing-orders"

    @handles(Shipped)
    def shipped(self, event: Shipped, tx: ProjectionTransaction) -> None:
        tx.put("orders", event.order, {"state": "shipped"})

    @handles
    def returned(self, event: Returned, tx: ProjectionTransaction) -> None:
        tx.delete("orders", event.order)


returns = projection("typing-returns")


@returns.handles(Returned)
def count_return(event: Returned, tx: ProjectionTransaction) -> None:
    tx.put("returns", event.order, 1)


def test_handles_keeps_the_decorated_types_and_status_is_typed() -> None:
    shipped: Callable[[Shipped, ProjectionTransaction], None] = Orders().shipped
    counted: Callable[[Returned, ProjectionTransaction], None] = count_return
    assert callable(shipped)
    assert callable(counted)
    registry = TypeRegistry()
    registry.register(Shipped, Returned)
    store = InMemoryEventStore()
    runner = ProjectionRunner(store, Orders(), codec=JsonCodec(registry))
    assert_type(runner.run_until_caught_up(), int)
    assert_type(runner.status(), ProjectionStatus)


def test_a_commit_returns_the_position_wait_for_takes() -> None:
    with InMemoryUnitOfWork(InMemoryDatabase()) as uow:
        position = uow.commit()
    assert_type(position, int)
    wait_for(InMemoryEventStore(), "typing-orders", position, timeout=0.01)


def every_store_hosts_projections(conninfo: str) -> None:
    """Checked, not run: each event store satisfies the projection port of its colour."""
    sync_stores: list[ProjectionStore] = [
        InMemoryEventStore(),
        SQLiteEventStore(":memory:"),
        PostgresEventStore(conninfo),
    ]
    async_stores: list[AsyncProjectionStore] = [
        AsyncInMemoryEventStore(),
        AsyncSQLiteEventStore(":memory:"),
        AsyncPostgresEventStore(conninfo),
    ]
    assert sync_stores
    assert async_stores
