"""The predicate event broker (async colour), as dddkit users know it."""

from __future__ import annotations

from typing import Any

import pytest

from tactica import ConfigurationError, HandlerNotFoundError, current_message_context
from tactica.dataclasses import DomainEvent
from tactica.messaging import AsyncEventBroker, instance_of


class Shipped(DomainEvent, name="tests.broker.shipped"):
    parcel: str


class Lost(DomainEvent, name="tests.broker.lost"):
    parcel: str


@pytest.mark.asyncio
async def test_handlers_run_when_their_predicate_matches_in_subscription_order() -> None:
    seen: list[str] = []
    broker = AsyncEventBroker()
    broker.subscribe(instance_of(Shipped), lambda event: seen.append(f"a {event.parcel}"))
    broker.subscribe(lambda event: event.parcel.startswith("x"), lambda e: seen.append("b"))
    await broker.publish(Shipped(parcel="p"))
    await broker.publish(Lost(parcel="x1"))
    assert seen == ["a p", "b"]


@pytest.mark.asyncio
async def test_a_handler_matched_by_several_subscriptions_runs_once() -> None:
    seen: list[str] = []

    async def handler(event: Any) -> None:
        seen.append(event.parcel)

    broker = AsyncEventBroker()
    broker.subscribe(instance_of(Shipped), handler)
    broker.subscribe(instance_of(Shipped, Lost), handler)
    await broker.publish(Shipped(parcel="p"))
    assert seen == ["p"]


@pytest.mark.asyncio
async def test_unsubscribing_stops_delivery_and_an_unknown_pair_is_an_error() -> None:
    seen: list[str] = []
    broker = AsyncEventBroker()
    predicate = instance_of(Shipped)

    def handler(event: Any) -> None:
        seen.append(event.parcel)

    broker.subscribe(predicate, handler)
    broker.unsubscribe(predicate, handler)
    await broker.publish(Shipped(parcel="p"))
    assert seen == []
    with pytest.raises(LookupError):
        broker.unsubscribe(predicate, handler)


@pytest.mark.asyncio
async def test_the_no_match_policy_is_explicit() -> None:
    await AsyncEventBroker().publish(Shipped(parcel="p"))
    with pytest.raises(HandlerNotFoundError, match="Shipped"):
        await AsyncEventBroker(on_unmatched="raise").publish(Shipped(parcel="p"))
    with pytest.raises(ConfigurationError):
        AsyncEventBroker(on_unmatched="warn")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


@pytest.mark.asyncio
async def test_parallel_mode_runs_every_handler_even_when_one_fails() -> None:
    seen: list[str] = []
    broker = AsyncEventBroker(parallel=True)

    def broken(event: Any) -> None:
        raise RuntimeError("boom")

    broker.subscribe(instance_of(Shipped), broken)
    broker.subscribe(instance_of(Shipped), lambda event: seen.append("ran"))
    with pytest.raises(RuntimeError, match="boom"):
        await broker.publish(Shipped(parcel="p"))
    assert seen == ["ran"]


@pytest.mark.asyncio
async def test_handlers_run_in_the_events_message_context() -> None:
    contexts: list[Any] = []
    broker = AsyncEventBroker()
    broker.subscribe(instance_of(Shipped), lambda event: contexts.append(current_message_context()))
    event = Shipped(parcel="p")
    await broker.publish(event)
    assert (contexts[0].correlation_id, contexts[0].causation_id) == (
        event.event_id,
        event.event_id,
    )


def test_instance_of_needs_classes() -> None:
    with pytest.raises(ConfigurationError):
        instance_of()
