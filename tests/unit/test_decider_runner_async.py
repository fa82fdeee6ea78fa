"""Deciders on an event store (async colour): fold, decide, append at the version folded.

Every test runs with the events of both flavours (the ``booking`` fixture).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import pytest

from tactica import ConfigurationError, JsonCodec, TypeRegistry
from tactica.errors import WrongExpectedVersionError
from tactica.eventsourcing import AsyncDeciderRunner
from tactica.stores.memory import AsyncInMemoryEventStore


@dataclass(frozen=True)
class Hall:
    free: int = 10


@functools.cache
def booking_of(flavour_name: str) -> SimpleNamespace:
    """The decider of these tests, with its event declared in `flavour_name`."""
    flavour = importlib.import_module(f"tactica.{flavour_name}")

    class Reserved(flavour.DomainEvent, name="tests.decider.reserved"):
        seats: int

    class Booking:
        initial_state = Hall()

        def decide(self, command: int, state: Hall) -> list[Any]:
            if command > state.free:
                msg = f"only {state.free} seats left"
                raise ValueError(msg)
            return [Reserved(seats=command)] if command else []

        def evolve(self, state: Hall, event: Any) -> Hall:
            return replace(state, free=state.free - event.seats)

    return SimpleNamespace(Reserved=Reserved, Booking=Booking)


@pytest.fixture(params=["dataclasses", "pydantic"])
def booking(request: pytest.FixtureRequest) -> SimpleNamespace:
    return booking_of(request.param)


class Interloper(AsyncInMemoryEventStore):
    """Appends a rival reservation just before the first `times` appends of the runner."""

    def __init__(self, times: int, reserved: type) -> None:
        super().__init__()
        self.times = times
        self.reserved = reserved

    async def append(self, stream_id: str, events: Any, expected_version: Any = None) -> Any:
        if self.times:
            self.times -= 1
            rival = JsonCodec(TypeRegistry([self.reserved])).encode(self.reserved(seats=1))
            from tactica.testing import new_event

            await super().append(stream_id, [new_event("tests.decider.reserved", rival)])
        return await super().append(stream_id, events, expected_version)


def _runner(
    booking: SimpleNamespace, store: Any, retries: int = 0
) -> AsyncDeciderRunner[int, Any, Hall]:
    return AsyncDeciderRunner(
        booking.Booking(),
        store,
        codec=JsonCodec(TypeRegistry([booking.Reserved])),
        retries=retries,
    )


@pytest.mark.asyncio
async def test_each_command_is_decided_on_the_folded_stream_and_appended(
    booking: SimpleNamespace,
) -> None:
    """Commands see the events of earlier ones; the new state comes back with the events."""
    store = AsyncInMemoryEventStore()
    runner = _runner(booking, store)
    await runner.handle("hall-1", 4)
    events, state = await runner.handle("hall-1", 5)
    assert ([e.seats for e in events], state) == ([5], Hall(free=1))
    assert await runner.load("hall-1") == (Hall(free=1), 2)
    assert await runner.handle("hall-1", 0) == ([], Hall(free=1))
    assert await store.stream_version("hall-1") == 2


@pytest.mark.asyncio
async def test_a_refused_command_stores_nothing(booking: SimpleNamespace) -> None:
    """decide raising leaves the stream as it was."""
    store = AsyncInMemoryEventStore()
    with pytest.raises(ValueError, match="only 10 seats left"):
        await _runner(booking, store).handle("hall-1", 11)
    assert await store.stream_version("hall-1") == 0


@pytest.mark.asyncio
async def test_a_lost_race_is_decided_again_only_when_retries_allow(
    booking: SimpleNamespace,
) -> None:
    """A concurrent append fails the command, or, with retries, is folded in and decided on."""
    with pytest.raises(WrongExpectedVersionError):
        await _runner(booking, Interloper(1, booking.Reserved)).handle("hall-1", 2)
    store = Interloper(2, booking.Reserved)
    events, state = await _runner(booking, store, retries=2).handle("hall-1", 2)
    assert ([e.seats for e in events], state) == ([2], Hall(free=6))
    with pytest.raises(ConfigurationError, match="retries"):
        _runner(booking, store, retries=-1)
