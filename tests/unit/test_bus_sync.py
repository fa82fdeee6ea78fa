# Generated from test_bus_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The message bus (sync colour): routing, typed results, dependencies, context, middleware."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tactica import (
    MessageBus,
    ConfigurationError,
    DuplicateHandlerError,
    HandlerNotFoundError,
    Handlers,
    current_message_context,
)
from tactica.dataclasses import Command, DomainEvent, Query


class PlaceOrder(Command[UUID], name="tests.bus.place-order"):
    sku: str


class CountOrders(Query[int], name="tests.bus.count-orders"):
    pass


class OrderPlaced(DomainEvent, name="tests.bus.order-placed"):
    order_id: UUID


class RushOrderPlaced(OrderPlaced, name="tests.bus.rush-order-placed"):
    pass


class Orders:
    def __init__(self) -> None:
        self.placed: list[UUID] = []
        self.seen_events: list[str] = []


def make_handlers() -> Handlers:
    handlers = Handlers()

    @handlers.command(message_type=PlaceOrder)
    def place_order(command: PlaceOrder, orders: Orders, bus: Any) -> UUID:
        event = OrderPlaced(order_id=command.message_id)
        orders.placed.append(event.order_id)
        bus.publish(event)
        return event.order_id

    @handlers.query(message_type=CountOrders)
    def count_orders(query: CountOrders, orders: Orders) -> int:
        return len(orders.placed)

    @handlers.event(message_type=OrderPlaced)
    def remember(event: OrderPlaced, orders: Orders) -> None:
        orders.seen_events.append(f"remember {type(event).__name__}")

    @handlers.event(message_type=OrderPlaced, subclasses=True)
    def audit(event: OrderPlaced, orders: Orders) -> None:
        orders.seen_events.append(f"audit {type(event).__name__}")

    return handlers


class LateBus:
    """Lets a handler reach the bus it runs on, which only exists after the handlers."""

    def __init__(self) -> None:
        self.bus: Any = None

    def publish(self, event: object) -> None:
        self.bus.publish(event)


def make_bus(**options: Any) -> tuple[MessageBus, Orders]:
    orders = Orders()
    late = LateBus()
    bus = MessageBus(make_handlers(), dependencies={"orders": orders, "bus": late}, **options)
    late.bus = bus
    return bus, orders


def test_a_command_reaches_its_one_handler_and_returns_its_result() -> None:
    bus, orders = make_bus()
    command = PlaceOrder(sku="chair")
    order_id = bus.dispatch(command)
    assert order_id == command.message_id
    assert orders.placed == [order_id]
    assert bus.dispatch(CountOrders()) == 1


def test_event_handlers_run_in_registration_order_and_subclass_routing_is_opt_in() -> None:
    bus, orders = make_bus()
    bus.publish(OrderPlaced(order_id=PlaceOrder(sku="x").message_id))
    bus.publish(RushOrderPlaced(order_id=PlaceOrder(sku="y").message_id))
    assert orders.seen_events == [
        "remember OrderPlaced",
        "audit OrderPlaced",
        "audit RushOrderPlaced",
    ]


def test_an_event_without_handlers_is_published_to_nobody() -> None:
    bus, orders = make_bus()

    class Ignored(DomainEvent):
        pass

    bus.publish(Ignored())
    assert orders.seen_events == []


def test_a_handler_runs_inside_the_context_of_the_message_it_handles() -> None:
    """Messages and events made by a handler continue the chain with no stamping code."""
    handlers = Handlers()
    seen: list[tuple[object, object]] = []

    @handlers.command(message_type=PlaceOrder)
    def place_order(command: PlaceOrder) -> UUID:
        context = current_message_context()
        seen.append((context.correlation_id, context.causation_id))
        event = OrderPlaced(order_id=command.message_id)
        seen.append((event.correlation_id, event.causation_id))
        return command.message_id

    bus = MessageBus(handlers)
    starter = PlaceOrder(sku="chair")
    bus.dispatch(starter)
    follower = PlaceOrder(sku="desk", correlation_id=starter.message_id)
    bus.dispatch(follower)
    assert seen == [
        (starter.message_id, starter.message_id),
        (starter.message_id, starter.message_id),
        (starter.message_id, follower.message_id),
        (starter.message_id, follower.message_id),
    ]
    assert current_message_context().correlation_id is None, "restored after the handler"


def test_middleware_wraps_every_call_first_listed_outermost() -> None:
    calls: list[str] = []

    def named(name: str) -> Any:
        def middleware(message: object, call_next: Any) -> object:
            calls.append(f"{name} in")
            result = call_next(message)
            calls.append(f"{name} out")
            return result

        return middleware

    bus, _ = make_bus(middleware=[named("outer"), named("inner")])
    assert bus.dispatch(CountOrders()) == 0
    assert calls == ["outer in", "inner in", "inner out", "outer out"]


def test_middleware_can_short_circuit() -> None:
    def refuse(message: object, call_next: Any) -> object:
        return -1

    bus, _ = make_bus(middleware=[refuse])
    assert bus.dispatch(CountOrders()) == -1


def test_an_isolated_event_handler_failure_is_counted_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handlers = Handlers()
    ran: list[str] = []

    @handlers.event(message_type=OrderPlaced)
    def broken(event: OrderPlaced) -> None:
        raise RuntimeError("boom")

    @handlers.event(message_type=OrderPlaced)
    def fine(event: OrderPlaced) -> None:
        ran.append("fine")

    event = OrderPlaced(order_id=PlaceOrder(sku="x").message_id)
    isolating = MessageBus(handlers, event_failures="isolate")
    isolating.publish(event)
    assert (ran, isolating.isolated_failures) == (["fine"], 1)
    assert "isolated" in caplog.text
    raising = MessageBus(handlers)
    with pytest.raises(RuntimeError, match="boom"):
        raising.publish(event)


def test_dispatching_a_command_without_a_handler_names_its_type() -> None:
    bus = MessageBus(Handlers())
    with pytest.raises(HandlerNotFoundError, match="PlaceOrder"):
        bus.dispatch(PlaceOrder(sku="x"))


def test_a_second_handler_for_one_command_is_refused_naming_both() -> None:
    handlers = Handlers()

    @handlers.command(message_type=PlaceOrder)
    def first(command: PlaceOrder) -> UUID:
        return command.message_id

    with pytest.raises(DuplicateHandlerError, match=r"PlaceOrder.*first.*second"):

        @handlers.command(message_type=PlaceOrder)
        def second(command: PlaceOrder) -> UUID:
            return command.message_id


def test_registries_from_several_modules_merge_and_keep_the_one_handler_rule() -> None:
    ordering, counting = Handlers(), Handlers()

    @ordering.command(message_type=PlaceOrder)
    def place(command: PlaceOrder) -> UUID:
        return command.message_id

    @counting.query(message_type=CountOrders)
    def count(query: CountOrders) -> int:
        return 0

    merged = Handlers(ordering, counting)
    assert merged.handler_for(PlaceOrder).function is place
    assert merged.handler_for(CountOrders).function is count
    clashing = Handlers()
    clashing.command(message_type=PlaceOrder)(lambda command: command.message_id)
    with pytest.raises(DuplicateHandlerError):
        merged.include(clashing)


def test_a_missing_dependency_is_a_start_up_error_naming_handler_and_parameter() -> None:
    with pytest.raises(ConfigurationError, match=r"place_order.*'orders'"):
        MessageBus(make_handlers(), dependencies={"bus": object()})


def test_a_dependency_is_found_by_its_type_when_the_name_differs() -> None:
    handlers = Handlers()

    @handlers.query(message_type=CountOrders)
    def count_orders(query: CountOrders, repository: Orders) -> int:
        return len(repository.placed)

    MessageBus(handlers, dependencies={"orders": Orders()})


def test_the_message_type_is_read_from_the_first_parameters_annotation() -> None:
    handlers = Handlers()

    @handlers.query
    def count_orders(query: CountOrders) -> int:
        return 0

    assert handlers.handler_for(CountOrders).function is count_orders
    with pytest.raises(ConfigurationError, match="annotate its first parameter"):
        handlers.query(lambda query: 0)
