"""Type checkers understand the public API: mypy --strict and pyright strict check this file.

The functions also run under pytest, so every `assert_type` line is a real call whose
runtime result agrees with its static type.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from typing import NewType, assert_type
from uuid import UUID

import pytest

from tactica import (
    AsyncInMemoryRepository,
    AsyncMessageBus,
    AsyncRepository,
    Handlers,
    ImmutableObjectError,
    InMemoryDatabase,
    InMemoryRepository,
    JsonCodec,
    MessageBus,
    Predicate,
    Repository,
    Specification,
    message_context,
    uuid7,
)
from tactica import dataclasses as dc
from tactica import pydantic as pd

OrderId = NewType("OrderId", UUID)


class Money(dc.ValueObject):
    amount: Decimal
    currency: str


class OrderPlaced(dc.DomainEvent, name="orders.placed"):
    order_id: OrderId
    total: Money


class Order(dc.AggregateRoot[OrderId]):
    total: Money
    placed: bool = False

    def place(self) -> None:
        self.placed = True
        self.record(OrderPlaced(order_id=self.id, total=self.total))


class PydanticMoney(pd.ValueObject):
    amount: Decimal
    currency: str


class PydanticOrder(pd.AggregateRoot[OrderId]):
    total: PydanticMoney


def test_dataclass_flavour_constructors_and_fields_are_typed() -> None:
    price = Money(amount=Decimal("9.90"), currency="EUR")
    assert_type(price.amount, Decimal)
    assert_type(replace(price, currency="USD"), Money)
    order = Order(total=price)
    assert_type(order.id, OrderId)
    assert_type(order.version, int)
    order.place()
    assert_type(order.pull_events(), list[dc.DomainEvent])
    event = OrderPlaced(order_id=order.id, total=price)
    assert_type(event.event_id, UUID)
    assert_type(event.correlation_id, UUID | None)


def test_pydantic_flavour_constructors_and_fields_are_typed() -> None:
    price = PydanticMoney(amount=Decimal("9.90"), currency="EUR")
    assert_type(price.currency, str)
    order = PydanticOrder(total=price)
    assert_type(order.id, OrderId)
    assert_type(order.total, PydanticMoney)


def test_codec_decode_returns_the_requested_type() -> None:
    codec = JsonCodec()
    event = OrderPlaced(order_id=OrderId(uuid7()), total=Money(amount=Decimal(1), currency="EUR"))
    data = codec.encode(event)
    assert_type(data, bytes)
    assert_type(codec.decode(data, OrderPlaced), OrderPlaced)


def test_repositories_are_typed_by_aggregate_and_id() -> None:
    database = InMemoryDatabase()
    repository = InMemoryRepository[Order, OrderId](Order, database)
    order = Order(total=Money(amount=Decimal(1), currency="EUR"))
    repository.add(order)
    repository.commit()
    port: Repository[Order, OrderId] = repository
    assert_type(port.get(order.id), Order)
    assert_type(port.find(order.id), Order | None)


def test_async_repositories_are_typed_by_aggregate_and_id() -> None:
    async def scenario() -> None:
        repository = AsyncInMemoryRepository[Order, OrderId](Order)
        order = Order(total=Money(amount=Decimal(1), currency="EUR"))
        await repository.add(order)
        await repository.commit()
        port: AsyncRepository[Order, OrderId] = repository
        assert_type(await port.get(order.id), Order)

    asyncio.run(scenario())


def test_specifications_compose_with_their_candidate_type() -> None:
    big = Predicate[Money](lambda money: money.amount > 100)
    euro = Predicate[Money](lambda money: money.currency == "EUR")
    rule = big & ~euro
    assert_type(rule, Specification[Money])
    assert_type(rule.is_satisfied_by(Money(amount=Decimal(1), currency="EUR")), bool)


def test_the_message_context_yields_its_ids() -> None:
    with message_context(correlation_id=uuid7(), causation_id=None) as context:
        assert_type(context.correlation_id, UUID | None)


def test_type_checkers_reject_changing_a_value_object_and_positional_arguments() -> None:
    """Each ignore below must be needed: both checkers report unused ignores as errors."""
    price = Money(amount=Decimal(1), currency="EUR")
    with pytest.raises(ImmutableObjectError):
        price.amount = Decimal(2)  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(TypeError):
        Money(Decimal(1), "EUR")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    with pytest.raises(TypeError):
        Order(total=price, colour="red")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


class PlaceOrder(dc.Command[OrderId]):
    sku: str


class CountOrders(pd.Query[int]):
    pass


def test_dispatch_is_typed_by_the_messages_result_type() -> None:
    handlers = Handlers()

    @handlers.command(message_type=PlaceOrder)
    def place(command: PlaceOrder) -> OrderId:
        return OrderId(command.message_id)

    @handlers.query(message_type=CountOrders)
    def count(query: CountOrders) -> int:
        return 1

    bus = MessageBus(handlers)
    assert_type(bus.dispatch(PlaceOrder(sku="chair")), OrderId)
    assert_type(bus.dispatch(CountOrders()), int)

    async def scenario() -> None:
        async_bus = AsyncMessageBus(handlers)
        assert_type(await async_bus.dispatch(PlaceOrder(sku="chair")), OrderId)

    asyncio.run(scenario())
