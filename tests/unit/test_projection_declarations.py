"""Projection declarations: which handler takes which event class, checked when declared."""

from __future__ import annotations

import pytest

from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.errors import ConfigurationError, InvalidAppendError
from tactica.projections import (
    AsyncProjectionRunner,
    Projection,
    ProjectionRunner,
    handles,
    projection,
)
from tactica.stores.memory import AsyncInMemoryEventStore, InMemoryEventStore


class Shipped(DomainEvent, name="tests.declare.shipped"):
    order: str


class Returned(DomainEvent, name="tests.declare.returned"):
    order: str


class Lost(DomainEvent, name="tests.declare.lost"):
    order: str


def _codec() -> JsonCodec:
    registry = TypeRegistry()
    registry.register(Shipped, Returned, Lost)
    return JsonCodec(registry)


def test_a_bare_handles_reads_the_event_class_and_unions_from_the_annotation() -> None:
    """`@handles` without arguments routes the annotated class, and each member of a union."""

    class Orders(Projection):
        name = "orders"

        @handles
        def shipped(self, event: Shipped, tx: object) -> None: ...

        @handles
        def settled(self, event: Returned | Lost, tx: object) -> None: ...

    handlers = Orders().handlers()
    assert set(handlers) == {Shipped, Returned, Lost}
    assert handlers[Lost].__name__ == "settled"


def test_handles_with_classes_names_them_explicitly() -> None:
    """`@handles(A, B)` routes both classes to the method, whatever its annotation."""

    class Orders(Projection):
        name = "orders"

        @handles(Shipped, Returned)
        def any_move(self, event: object, tx: object) -> None: ...

    assert set(Orders().handlers()) == {Shipped, Returned}


def test_two_handlers_for_one_class_are_refused_when_the_class_is_declared() -> None:
    """A projection may have only one handler per event class."""
    with pytest.raises(ConfigurationError, match="two handlers for Shipped"):

        class Orders(Projection):
            name = "orders"

            @handles
            def first(self, event: Shipped, tx: object) -> None: ...

            @handles(Shipped)
            def second(self, event: Shipped, tx: object) -> None: ...


def test_a_subclass_inherits_and_extends_its_base_handlers() -> None:
    """Handlers declared on a base projection stay, and a subclass adds its own."""

    class Base(Projection):
        @handles
        def shipped(self, event: Shipped, tx: object) -> None: ...

    class Orders(Base):
        name = "orders"

        @handles
        def lost(self, event: Lost, tx: object) -> None: ...

    assert set(Orders().handlers()) == {Shipped, Lost}


def test_a_projection_without_a_name_says_how_to_give_it_one() -> None:
    """Asking a nameless projection for its handlers raises a ConfigurationError."""

    class Nameless(Projection):
        @handles
        def shipped(self, event: Shipped, tx: object) -> None: ...

    with pytest.raises(ConfigurationError, match="set name = "):
        Nameless().handlers()


@pytest.mark.parametrize("name", ["", " orders", "orders;drop", "x" * 101, "ordres\n"])
def test_a_bad_projection_name_is_refused_when_declared(name: str) -> None:
    """Projection names are checked against a strict pattern, for classes and functions."""
    with pytest.raises(InvalidAppendError, match="projection name"):
        projection(name)
    with pytest.raises(InvalidAppendError, match="projection name"):
        type("Bad", (Projection,), {"name": name})


def test_an_unannotated_handler_is_refused_with_advice() -> None:
    """A handler whose event parameter has no class annotation names the fix."""
    orders = projection("orders")
    with pytest.raises(ConfigurationError, match=r"@handles\(EventClass\)"):

        @orders.handles
        def shipped(event, tx) -> None: ...  # type: ignore[no-untyped-def]


def test_function_projections_register_by_annotation_or_by_name() -> None:
    """`projection(name).handles` registers functions, bare or with classes."""
    orders = projection("orders")

    @orders.handles
    def shipped(event: Shipped, tx: object) -> None: ...

    @orders.handles(Returned, Lost)
    def settled(event: object, tx: object) -> None: ...

    assert orders.handlers() == {Shipped: shipped, Returned: settled, Lost: settled}


def test_a_sync_runner_refuses_async_handlers_and_names_the_async_runner() -> None:
    """A sync runner cannot await, so it refuses `async def` handlers when built."""
    orders = projection("orders")

    @orders.handles
    async def shipped(event: Shipped, tx: object) -> None: ...

    with pytest.raises(TypeError, match="use AsyncProjectionRunner"):
        ProjectionRunner(InMemoryEventStore(), orders, codec=_codec())
    AsyncProjectionRunner(AsyncInMemoryEventStore(), orders, codec=_codec())


@pytest.mark.parametrize(
    ("option", "value"),
    [("poison", "ignore"), ("batch_size", 0), ("max_attempts", 0), ("poll_interval", 0.0)],
)
def test_a_runner_refuses_meaningless_settings(option: str, value: object) -> None:
    """Unknown poison policies and non-positive sizes or intervals are refused when built."""
    with pytest.raises(ConfigurationError):
        ProjectionRunner(
            InMemoryEventStore(),
            projection("orders"),
            codec=_codec(),
            **{option: value},  # type: ignore[arg-type]
        )


def test_a_bound_method_registers_on_a_function_projection() -> None:
    """`projection(name).handles(Event)(obj.method)` works, as a bound method cannot be marked."""

    class Counter:
        def __init__(self) -> None:
            self.seen = 0

        def shipped(self, event: Shipped, tx: object) -> None:
            self.seen += 1

    counter = Counter()
    orders = projection("orders")
    orders.handles(Shipped)(counter.shipped)
    orders.handlers()[Shipped](Shipped(order="o-1"), None)
    assert counter.seen == 1
