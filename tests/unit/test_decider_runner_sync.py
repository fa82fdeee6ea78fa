# Generated from test_decider_runner_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Deciders on an event store (sync colour): fold, decide, append at the version folded.

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
from tactica.eventsourcing import DeciderRunner
from tactica.stores.memory import InMemoryEventStore


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


class Interloper(InMemoryEventStore):
    """Appends a rival reservation just before the first `times` appends of the runner."""

    def __init__(self, times: int, reserved: type) -> None:
        super().__init__()
        self.times = times
        self.reserved = reserved

    def append(self, stream_id: str, events: Any, expected_version: Any = None) -> Any:
        if self.times:
            self.times -= 1
            rival = JsonCodec(TypeRegistry([self.reserved])).encode(self.reserved(seats=1))
            from tactica.testing import new_event

            super().append(stream_id, [new_event("tests.decider.reserved", rival)])
        return super().append(stream_id, events, expected_version)


def _runner(
    booking: SimpleNamespace, store: Any, retries: int = 0
) -> DeciderRunner[int, Any, Hall]:
    return DeciderRunner(
        booking.Booking(),
        store,
        codec=JsonCodec(TypeRegistry([booking.Reserved])),
        retries=retries,
    )


def test_each_command_is_decided_on_the_folded_stream_and_appended(
    booking: SimpleNamespace,
) -> None:
    """Commands see the events of earlier ones; the new state comes back with the events."""
    store = InMemoryEventStore()
    runner = _runner(booking, store)
    runner.handle("hall-1", 4)
    events, state = runner.handle("hall-1", 5)
    assert ([e.seats for e in events], state) == ([5], Hall(free=1))
    assert runner.load("hall-1") == (Hall(free=1), 2)
    assert runner.handle("hall-1", 0) == ([], Hall(free=1))
    assert store.stream_version("hall-1") == 2


def test_a_refused_command_stores_nothing(booking: SimpleNamespace) -> None:
    """decide raising leaves the stream as it was."""
    store = InMemoryEventStore()
    with pytest.raises(ValueError, match="only 10 seats left"):
        _runner(booking, store).handle("hall-1", 11)
    assert store.stream_version("hall-1") == 0


def test_a_lost_race_is_decided_again_only_when_retries_allow(
    booking: SimpleNamespace,
) -> None:
    """A concurrent append fails the command, or, with retries, is folded in and decided on."""
    with pytest.raises(WrongExpectedVersionError):
        _runner(booking, Interloper(1, booking.Reserved)).handle("hall-1", 2)
    store = Interloper(2, booking.Reserved)
    events, state = _runner(booking, store, retries=2).handle("hall-1", 2)
    assert ([e.seats for e in events], state) == ([2], Hall(free=6))
    with pytest.raises(ConfigurationError, match="retries"):
        _runner(booking, store, retries=-1)
