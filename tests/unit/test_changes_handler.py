"""ChangesHandler turns recorded events into persistence instructions, one handler per type."""

from __future__ import annotations

import pytest

from tactica import HandlerNotFoundError
from tactica.dataclasses import AggregateRoot, DomainEvent
from tactica.messaging import ChangesHandler


class LineAdded(DomainEvent):
    sku: str


class LineRemoved(DomainEvent):
    sku: str


class Renamed(DomainEvent):
    name: str


class Basket(AggregateRoot[str]):
    def add(self, sku: str) -> None:
        self.record(LineAdded(sku=sku))

    def remove(self, sku: str) -> None:
        self.record(LineRemoved(sku=sku))


def test_each_event_becomes_its_instruction_in_recording_order() -> None:
    changes = ChangesHandler[tuple[str, str]](
        {
            LineAdded: lambda event: ("insert", event.sku),
            LineRemoved: lambda event: ("delete", event.sku),
        }
    )
    basket = Basket(id="b-1")
    basket.add("chair")
    basket.remove("chair")
    basket.add("desk")
    assert changes.instructions(basket.pending_events) == [
        ("insert", "chair"),
        ("delete", "chair"),
        ("insert", "desk"),
    ]
    assert len(basket.pending_events) == 3, "reading instructions does not pull the events"


def test_an_event_without_a_handler_is_an_error_before_any_instruction() -> None:
    made: list[str] = []
    changes = ChangesHandler({LineAdded: made.append})
    with pytest.raises(HandlerNotFoundError, match="Renamed"):
        changes.instructions([LineAdded(sku="a"), Renamed(name="x")])
    assert made == []
    lenient = ChangesHandler({LineAdded: lambda event: event.sku}, ignore_unhandled=True)
    assert lenient.instructions([LineAdded(sku="a"), Renamed(name="x")]) == ["a"]
