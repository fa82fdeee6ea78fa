# Generated from test_unit_of_work_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Units of work (sync colour), in memory and on SQLite: once-only, atomic, events after commit."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tactica import (
    MessageBus,
    ConcurrencyError,
    ConfigurationError,
    Handlers,
    InMemoryDatabase,
    uuid7,
)
from tactica.dataclasses import AggregateRoot, Command, DomainEvent
from tactica.errors import EventHandlerError, UnitOfWorkError
from tactica.stores.postgres import PostgresConnection, PostgresUnitOfWork
from tactica.stores.sqlite import SQLiteConnection, create_schema
from tactica.testing import require_service
from tactica.uow import InMemoryUnitOfWork, SQLiteUnitOfWork


class Restocked(DomainEvent, name="tests.uow.restocked"):
    sku: str
    quantity: int


class Product(AggregateRoot[str]):
    stock: int = 0

    def restock(self, quantity: int) -> None:
        self.stock += quantity
        self.record(Restocked(sku=self.id, quantity=quantity))


class MemoryShop(InMemoryUnitOfWork):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database)
        self.products = self.repository(Product)
        self.archive = self.repository(Product)


class SQLiteShop(SQLiteUnitOfWork):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.products = self.repository(Product)
        self.archive = self.repository(Product)


class PostgresShop(PostgresUnitOfWork):
    def __init__(self, conninfo: str, type_name: str) -> None:
        super().__init__(conninfo)
        self.products = self.repository(Product, type_name=type_name)
        self.archive = self.repository(Product, type_name=type_name)


def _postgres() -> str:
    conninfo = os.environ.get(
        "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
    )
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return conninfo


def _run_sql(connection: Any, *statements: str, parameters: tuple[object, ...] = ()) -> None:
    for statement in statements:
        connection.execute(statement, parameters)
    connection.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A factory of units of work over one fresh store, per backend."""
    if request.param == "postgres":
        conninfo = _postgres()
        type_name = f"tests.uow.{uuid7()}"
        connection = PostgresConnection(conninfo)
        _run_sql(connection, *connection.schema)
        yield lambda: PostgresShop(conninfo, type_name)
        cleanup = PostgresConnection(conninfo)
        delete = "DELETE FROM tactica_aggregates WHERE aggregate_type = ?"
        _run_sql(cleanup, delete, parameters=(type_name,))
        return
    if request.param == "memory":
        database = InMemoryDatabase()
        yield lambda: MemoryShop(database)
        return
    path = tmp_path / "shop.db"
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    yield lambda: SQLiteShop(path)


def _stored(new_shop: Callable[[], Any], *skus: str) -> None:
    with new_shop() as uow:
        for sku in skus:
            uow.products.add(Product(id=sku))
        uow.commit()


def test_nothing_is_stored_without_commit_and_an_exception_rolls_back(
    new_shop: Callable[[], Any],
) -> None:
    _stored(new_shop, "chair")
    with new_shop() as uow:
        (uow.products.get("chair")).restock(5)

    def fail_midway() -> None:
        with new_shop() as uow:
            (uow.products.get("chair")).restock(7)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_midway()
    with new_shop() as uow:
        assert (uow.products.get("chair")).stock == 0


def test_a_unit_of_work_is_opened_once_and_committed_once(
    new_shop: Callable[[], Any],
) -> None:
    uow = new_shop()
    with pytest.raises(UnitOfWorkError, match="never opened"):
        uow.commit()
    with uow:
        uow.commit()
        with pytest.raises(UnitOfWorkError, match="the first commit succeeded"):
            uow.commit()
    with pytest.raises(UnitOfWorkError, match="already opened"):
        with uow:
            pass


def test_a_failed_commit_stores_nothing_of_any_repository_and_says_so_on_retry(
    new_shop: Callable[[], Any],
) -> None:
    _stored(new_shop, "chair", "desk")
    uow = new_shop()
    with uow:
        (uow.products.get("chair")).restock(5)
        uow.archive.add(Product(id="lamp"))
        stale = uow.archive.get("desk")
        with new_shop() as rival:
            (rival.products.get("desk")).restock(1)
            rival.commit()
        stale.restock(9)
        with pytest.raises(ConcurrencyError):
            uow.commit()
        with pytest.raises(UnitOfWorkError, match="the first commit failed"):
            uow.commit()
    with new_shop() as check:
        assert (check.products.get("chair")).stock == 0
        assert check.products.find("lamp") is None
        assert (check.products.get("desk")).stock == 1
    assert uow.collect_events() == []


def test_events_of_every_touched_aggregate_are_collected_after_commit_in_order(
    new_shop: Callable[[], Any],
) -> None:
    _stored(new_shop, "chair", "desk")
    with new_shop() as uow:
        (uow.products.get("chair")).restock(1)
        (uow.archive.get("desk")).restock(2)
        (uow.products.get("chair")).restock(3)
        assert uow.collect_events() == [], "nothing before the commit"
        uow.commit()
    assert [(e.sku, e.quantity) for e in uow.collect_events()] == [
        ("chair", 1),
        ("chair", 3),
        ("desk", 2),
    ]
    assert uow.collect_events() == [], "collected once"


class Restock(Command[int], name="tests.uow.restock"):
    sku: str
    quantity: int


class Count(Command[int], name="tests.uow.count"):
    sku: str


def test_the_bus_gives_each_command_a_fresh_unit_of_work_and_publishes_after_commit(
    new_shop: Callable[[], Any],
) -> None:
    _stored(new_shop, "chair")
    seen: list[Any] = []
    handlers = Handlers()

    @handlers.command(message_type=Restock)
    def restock(command: Restock, uow: Any) -> int:
        with uow:
            product = uow.products.get(command.sku)
            product.restock(command.quantity)
            uow.commit()
        return product.stock

    @handlers.event(message_type=Restocked)
    def remember(event: Restocked) -> None:
        seen.append(event)

    bus = MessageBus(handlers, unit_of_work=new_shop)
    command = Restock(sku="chair", quantity=4)
    assert bus.dispatch(command) == 4
    assert bus.dispatch(Restock(sku="chair", quantity=1)) == 5
    assert [event.quantity for event in seen] == [4, 1]
    assert seen[0].causation_id == command.message_id
    assert seen[0].correlation_id == command.message_id


def test_a_failing_event_handler_after_commit_says_the_changes_stay_committed(
    new_shop: Callable[[], Any],
) -> None:
    _stored(new_shop, "chair")
    handlers = Handlers()

    @handlers.command(message_type=Restock)
    def restock(command: Restock, uow: Any) -> int:
        with uow:
            (uow.products.get(command.sku)).restock(command.quantity)
            uow.commit()
        return 0

    @handlers.event(message_type=Restocked)
    def broken(event: Restocked) -> None:
        raise RuntimeError("mailer down")

    bus = MessageBus(handlers, unit_of_work=new_shop)
    with pytest.raises(EventHandlerError, match=r"committed.*mailer down.*stay committed"):
        bus.dispatch(Restock(sku="chair", quantity=2))
    with new_shop() as check:
        assert (check.products.get("chair")).stock == 2


def test_a_handler_wanting_a_unit_of_work_needs_a_bus_that_makes_them() -> None:
    handlers = Handlers()

    @handlers.command(message_type=Count)
    def count(command: Count, uow: Any) -> int:
        return 0

    with pytest.raises(ConfigurationError, match="unit_of_work="):
        MessageBus(handlers)


class PriceChanged(DomainEvent, name="tests.uow.price-changed", integration=True):
    sku: str
    price: int


def _outbox_ids(new_shop: Callable[[], Any]) -> set[str]:
    uow = new_shop()
    if isinstance(uow, MemoryShop):
        return {str(message.message_id) for message in uow.database.outbox()}
    rows = uow.connection.fetch("SELECT message_id FROM tactica_outbox")
    uow.connection.close()
    return {row[0] for row in rows}


def test_integration_events_are_written_to_the_outbox_in_the_same_commit(
    new_shop: Callable[[], Any],
) -> None:
    _stored(new_shop, "chair")
    with new_shop() as uow:
        product = uow.products.get("chair")
        product.restock(1)  # a domain event only: stays inside the service
        change = PriceChanged(sku="chair", price=99)
        product.record(change)
        uow.commit()
    stored = _outbox_ids(new_shop)
    assert str(change.event_id) in stored
    restocked = [e for e in uow.collect_events() if isinstance(e, Restocked)]
    assert str(restocked[0].event_id) not in stored


def test_a_failed_commit_writes_no_outbox_message(new_shop: Callable[[], Any]) -> None:
    _stored(new_shop, "chair")
    uow = new_shop()
    with uow:
        stale = uow.products.get("chair")
        with new_shop() as rival:
            (rival.products.get("chair")).restock(1)
            rival.commit()
        change = PriceChanged(sku="chair", price=5)
        stale.record(change)
        with pytest.raises(ConcurrencyError):
            uow.commit()
    assert str(change.event_id) not in _outbox_ids(new_shop)
