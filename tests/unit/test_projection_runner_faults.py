"""A lost database connection is never mistaken for a poison event by a projection runner."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.errors import DatabaseConnectionError, ProjectionError
from tactica.eventsourcing import to_new_event
from tactica.ports._projection_records import rebuild_behind
from tactica.projections import ProjectionRunner, ProjectionTransaction, projection
from tactica.stores.memory import InMemoryEventStore


class Noted(DomainEvent, name="tests.runner-faults.noted"):
    n: int


notes = projection("notes")


@notes.handles
def noted(event: Noted, tx: ProjectionTransaction) -> None:
    tx.put("notes", str(event.n), event.n)


class LosesItsConnection(InMemoryEventStore):
    """Loses the connection in the first `failures` batch transactions, after the handlers."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def projecting(self, projection: str, **arguments: Any) -> AbstractContextManager[Any]:
        return self._projecting(projection, **arguments)

    @contextmanager
    def _projecting(self, projection: str, **arguments: Any) -> Iterator[Any]:
        with super().projecting(projection, **arguments) as tx:
            yield tx
            if self.failures > 0:
                self.failures -= 1
                msg = "the connection to the database was lost mid-transaction"
                raise DatabaseConnectionError(msg)


def _store(failures: int) -> tuple[LosesItsConnection, JsonCodec]:
    registry = TypeRegistry()
    registry.register(Noted)
    codec = JsonCodec(registry)
    store = LosesItsConnection(failures)
    for n in range(1, 6):
        store.append(f"note-{n}", [to_new_event(codec, Noted(n=n))])
    return store, codec


@pytest.mark.parametrize("poison", ["stop", "park"])
def test_a_lost_connection_reaches_the_caller_and_parks_nothing(poison: Any) -> None:
    """The batch is not retried as poison: the error propagates, nothing moved or parked."""
    store, codec = _store(failures=10)
    runner = ProjectionRunner(store, notes, codec=codec, poison=poison, retry_delay=0.0)
    with pytest.raises(DatabaseConnectionError):
        runner.run_until_caught_up()
    assert store.checkpoint("notes") == 0
    assert store.dead_letters("notes") == []
    assert store.documents("notes", "notes") == {}


def test_after_a_lost_connection_the_next_catch_up_applies_every_event_once() -> None:
    """Starting again from the stored checkpoint applies all five events, each once."""
    store, codec = _store(failures=1)
    runner = ProjectionRunner(store, notes, codec=codec, retry_delay=0.0)
    with pytest.raises(DatabaseConnectionError):
        runner.run_until_caught_up()
    assert runner.run_until_caught_up() == 5
    assert store.documents("notes", "notes") == {str(n): n for n in range(1, 6)}
    assert store.checkpoint("notes") == 5


class RefusesEverySwap(InMemoryEventStore):
    """A swap that always conflicts, as if the live checkpoint held events nobody can read."""

    def swap(self, projection: str, generation: int) -> None:
        raise rebuild_behind(projection, 0, 10**6)


def test_a_rebuild_that_can_never_catch_up_fails_instead_of_looping() -> None:
    """A swap that still conflicts once the rebuild read everything raises ProjectionError."""
    store = RefusesEverySwap()
    codec = JsonCodec(TypeRegistry([Noted]))
    store.append("note-1", [to_new_event(codec, Noted(n=1))])
    with pytest.raises(ProjectionError, match=r"cannot be swapped.*catch the rebuild up"):
        ProjectionRunner(store, notes, codec=codec).rebuild()
    assert store.generation("notes") == 1
