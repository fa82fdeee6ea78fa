"""Type checkers understand the public API: mypy --strict and pyright strict check this file.

The functions also run under pytest, so every `assert_type` line is a real call whose
runtime result agrees with its static type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import NewType, TypeAlias, assert_never, assert_type
from uuid import UUID

import pytest

from tactica import (
    AsyncInMemoryRepository,
    AsyncMessageBus,
    AsyncRepository,
    Decider,
    Handlers,
    ImmutableObjectError,
    InMemoryDatabase,
    InMemoryRepository,
    JsonCodec,
    MessageBus,
    Predicate,
    Repository,
    Specification,
    decide_and_evolve,
    fold,
    message_context,
    uuid7,
)
from tactica import dataclasses as dc
from tactica import pydantic as pd
from tactica.stores.memory import InMemoryUnitOfWork
from tactica.stores.sqlite import SQLiteConnection, SQLiteUnitOfWork, create_schema

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


class PydanticOrder(pd.AggregateRoot[OrderId], name="shop.order", aliases=("Order",)):
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


class Shelf(dc.AggregateRoot[str], name="library.shelf", aliases=("Rack",)):
    books: int = 0


class Library(InMemoryUnitOfWork):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database)
        self.shelves = self.repository(Shelf)


class SQLiteLibrary(SQLiteUnitOfWork):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.shelves = self.repository(Shelf)


def test_repositories_on_a_unit_of_work_are_typed_by_their_aggregate(tmp_path: Path) -> None:
    database = InMemoryDatabase()
    with Library(database) as uow:
        uow.shelves.add(Shelf(id="s-1"))
        uow.commit()
    with Library(database) as uow:
        assert_type(uow.shelves.get("s-1"), Shelf)
        assert_type(uow.shelves.find("s-2"), Shelf | None)
        with pytest.raises(AttributeError):
            uow.shelves.add("a shelf")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    connection = SQLiteConnection(tmp_path / "library.db")
    create_schema(connection)
    connection.close()
    with SQLiteLibrary(tmp_path / "library.db") as uow:
        assert_type(uow.shelves.find("s-1"), Shelf | None)


AccountId = NewType("AccountId", UUID)


class Opened(dc.DomainEvent):
    owner: str


class Deposited(dc.DomainEvent):
    amount: Decimal


class Closed(dc.DomainEvent):
    pass


AccountEvent: TypeAlias = Opened | Deposited | Closed


class Account(dc.EventSourcedAggregate[AccountId, AccountEvent]):
    owner: str
    balance: Decimal = Decimal(0)
    closed: bool = False

    @classmethod
    def open(cls, owner: str) -> Account:
        account = cls.blank()
        account.apply(Opened(owner=owner))
        return account

    def evolve(self, event: AccountEvent) -> None:
        match event:
            case Opened(owner=owner):
                self.owner = owner
            case Deposited(amount=amount):
                self.balance += amount
            case Closed():
                self.closed = True
            case _:
                assert_never(event)


class ForgetfulAccount(dc.EventSourcedAggregate[AccountId, AccountEvent]):
    """Its evolve has no case for Closed: both checkers must report the assert_never call."""

    balance: Decimal = Decimal(0)

    def evolve(self, event: AccountEvent) -> None:
        match event:
            case Opened():
                pass
            case Deposited(amount=amount):
                self.balance += amount
            case _:
                assert_never(event)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


class Tally(dc.EventSourcedAggregate[str]):
    """Without the event type argument, evolve may still declare the union it handles."""

    count: int = 0

    def evolve(self, event: Opened | Deposited) -> None:
        self.count += 1


def test_event_sourced_aggregates_are_typed_by_their_events() -> None:
    account = Account.open("Ada")
    assert_type(account, Account)
    assert_type(account.id, AccountId)
    account.apply(Deposited(amount=Decimal(5)))
    history: list[AccountEvent] = [Opened(owner="Ada"), Deposited(amount=Decimal(5))]
    loaded = Account.replay(account.id, history)
    assert_type(loaded, Account)
    assert_type(loaded.fold([Closed()]), Account)
    assert (loaded.balance, loaded.version, loaded.closed) == (Decimal(5), 3, True)
    assert_type(Tally.blank("t-1").fold([Opened(owner="Ada")]).count, int)
    stray = OrderPlaced(order_id=OrderId(uuid7()), total=Money(amount=Decimal(1), currency="EUR"))
    with pytest.raises(AssertionError):
        account.apply(stray)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert account.version == 2


def test_a_missing_case_in_evolve_is_a_type_error_and_fails_at_run_time() -> None:
    forgetful = ForgetfulAccount.blank()
    forgetful.apply(Deposited(amount=Decimal(2)))
    with pytest.raises(AssertionError):
        forgetful.apply(Closed())
    assert (forgetful.balance, forgetful.version) == (Decimal(2), 1)


class PydanticOpened(pd.DomainEvent):
    owner: str


class PydanticRenamed(pd.DomainEvent):
    owner: str


PydanticAccountEvent: TypeAlias = PydanticOpened | PydanticRenamed


class PydanticAccount(pd.EventSourcedAggregate[AccountId, PydanticAccountEvent]):
    owner: str

    def evolve(self, event: PydanticAccountEvent) -> None:
        match event:
            case PydanticOpened(owner=owner) | PydanticRenamed(owner=owner):
                self.owner = owner
            case _:
                assert_never(event)


def test_pydantic_event_sourced_aggregates_are_typed_by_their_events() -> None:
    account = PydanticAccount.blank()
    account.apply(PydanticOpened(owner="Ada"))
    assert_type(account.owner, str)
    loaded = PydanticAccount.replay(account.id, [PydanticOpened(owner="Ada")])
    assert_type(loaded, PydanticAccount)
    assert loaded == account


@dataclass(frozen=True)
class Deposit:
    amount: Decimal


@dataclass(frozen=True)
class Balance:
    amount: Decimal = Decimal(0)


class BalanceDecider:
    initial_state = Balance()

    def decide(self, command: Deposit, state: Balance) -> list[Deposited]:
        return [Deposited(amount=command.amount)]

    def evolve(self, state: Balance, event: Deposited) -> Balance:
        return replace(state, amount=state.amount + event.amount)


def test_decider_types_flow_from_command_to_events_to_state() -> None:
    decider: Decider[Deposit, Deposited, Balance] = BalanceDecider()
    state = fold(decider, [Deposited(amount=Decimal(2))])
    assert_type(state, Balance)
    assert_type(fold(BalanceDecider(), [], state=state), Balance)
    events, after = decide_and_evolve(decider, Deposit(amount=Decimal(3)), state)
    assert_type(events, Sequence[Deposited])
    assert_type(after, Balance)
    assert after == Balance(amount=Decimal(5))
    with pytest.raises(AttributeError):
        fold(decider, [Opened(owner="Ada")])  # type: ignore[misc]  # pyright: ignore[reportArgumentType]
    with pytest.raises(AttributeError):
        decide_and_evolve(decider, Closed(), state)  # type: ignore[misc]  # pyright: ignore[reportArgumentType]
    not_a_decider: Decider[Deposit, Deposited, Balance] = Balance()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    assert not hasattr(not_a_decider, "decide")
