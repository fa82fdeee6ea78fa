# Generated from test_broker_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The predicate event broker (sync colour), as dddkit users know it."""

from __future__ import annotations

from typing import Any

import pytest

from tactica import ConfigurationError, HandlerNotFoundError, current_message_context
from tactica.dataclasses import DomainEvent
from tactica.messaging import EventBroker, instance_of


class Shipped(DomainEvent, name="tests.broker.shipped"):
    parcel: str


class Lost(DomainEvent, name="tests.broker.lost"):
    parcel: str


def test_handlers_run_when_their_predicate_matches_in_subscription_order() -> None:
    seen: list[str] = []
    broker = EventBroker()
    broker.subscribe(instance_of(Shipped), lambda event: seen.append(f"a {event.parcel}"))
    broker.subscribe(lambda event: event.parcel.startswith("x"), lambda e: seen.append("b"))
    broker.publish(Shipped(parcel="p"))
    broker.publish(Lost(parcel="x1"))
    assert seen == ["a p", "b"]


def test_a_handler_matched_by_several_subscriptions_runs_once() -> None:
    seen: list[str] = []

    def handler(event: Any) -> None:
        seen.append(event.parcel)

    broker = EventBroker()
    broker.subscribe(instance_of(Shipped), handler)
    broker.subscribe(instance_of(Shipped, Lost), handler)
    broker.publish(Shipped(parcel="p"))
    assert seen == ["p"]


def test_unsubscribing_stops_delivery_and_an_unknown_pair_is_an_error() -> None:
    seen: list[str] = []
    broker = EventBroker()
    predicate = instance_of(Shipped)

    def handler(event: Any) -> None:
        seen.append(event.parcel)

    broker.subscribe(predicate, handler)
    broker.unsubscribe(predicate, handler)
    broker.publish(Shipped(parcel="p"))
    assert seen == []
    with pytest.raises(LookupError):
        broker.unsubscribe(predicate, handler)


def test_the_no_match_policy_is_explicit() -> None:
    EventBroker().publish(Shipped(parcel="p"))
    with pytest.raises(HandlerNotFoundError, match="Shipped"):
        EventBroker(on_unmatched="raise").publish(Shipped(parcel="p"))
    with pytest.raises(ConfigurationError):
        EventBroker(on_unmatched="warn")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_parallel_mode_runs_every_handler_even_when_one_fails() -> None:
    seen: list[str] = []
    broker = EventBroker(parallel=True)

    def broken(event: Any) -> None:
        raise RuntimeError("boom")

    broker.subscribe(instance_of(Shipped), broken)
    broker.subscribe(instance_of(Shipped), lambda event: seen.append("ran"))
    with pytest.raises(RuntimeError, match="boom"):
        broker.publish(Shipped(parcel="p"))
    assert seen == ["ran"]


def test_handlers_run_in_the_events_message_context() -> None:
    contexts: list[Any] = []
    broker = EventBroker()
    broker.subscribe(instance_of(Shipped), lambda event: contexts.append(current_message_context()))
    event = Shipped(parcel="p")
    broker.publish(event)
    assert (contexts[0].correlation_id, contexts[0].causation_id) == (
        event.event_id,
        event.event_id,
    )


def test_instance_of_needs_classes() -> None:
    with pytest.raises(ConfigurationError):
        instance_of()
