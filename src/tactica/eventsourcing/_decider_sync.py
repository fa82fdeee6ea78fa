# Generated from _decider_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Running a functional decider on an event store (sync colour)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.domain.decider import Decider, fold
from tactica.errors import ConfigurationError, WrongExpectedVersionError
from tactica.eventsourcing._checks import check_count, check_has, check_upcasters
from tactica.ports._event_store_sync import EventStore
from tactica.ports._streams import decode_events, readable_new_events

__all__ = ["DeciderRunner"]

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


class DeciderRunner(Generic[C, E, S]):
    """Loads a decider's state from a stream, decides a command and appends its events.

    The events are appended at the version the state was folded from, so a concurrent
    writer makes the append a `WrongExpectedVersionError`; with ``retries=n`` the runner
    reads, folds and decides again up to n more times, which is safe because deciding is
    pure. Events are tactica domain events (they carry their ids and registered names);
    `codec` must know their types: a decided event whose type it cannot read back is
    refused with `UnreadableEventError` before anything is appended.

    Examples:
        >>> from dataclasses import dataclass, replace
        >>> from tactica import JsonCodec, TypeRegistry
        >>> from tactica.dataclasses import DomainEvent
        >>> from tactica.eventsourcing import DeciderRunner
        >>> from tactica.stores.memory import InMemoryEventStore
        >>> class Added(DomainEvent, name="counter.added"):
        ...     amount: int
        >>> @dataclass(frozen=True)
        ... class Total:
        ...     value: int = 0
        >>> class Counter:
        ...     initial_state = Total()
        ...
        ...     def decide(self, command: int, state: Total) -> list[Added]:
        ...         return [Added(amount=command)]
        ...
        ...     def evolve(self, state: Total, event: Added) -> Total:
        ...         return replace(state, value=state.value + event.amount)
        >>> runner = DeciderRunner(
        ...     Counter(), InMemoryEventStore(), codec=JsonCodec(TypeRegistry([Added]))
        ... )
        >>> def main() -> Total:
        ...     runner.handle("counter-1", 2)
        ...     _, state = runner.handle("counter-1", 3)
        ...     return state
        >>> main()
        Total(value=5)
    """

    def __init__(
        self,
        decider: Decider[C, E, S],
        store: EventStore,
        *,
        codec: JsonCodec,
        upcasters: Upcasters | None = None,
        retries: int = 0,
    ) -> None:
        """Run `decider` on `store`; retry a lost race `retries` times.

        Raises `ConfigurationError` for an argument that cannot work: a decider without
        ``initial_state``, ``decide`` and ``evolve``, a store without ``read`` and
        ``append``, a codec that is not a `JsonCodec`, or `retries` not an int >= 0.
        """
        owner = type(self).__name__
        check_has(owner, "a decider as decider", decider, "decide", "evolve")
        if not hasattr(decider, "initial_state"):
            msg = (
                f"{owner} needs a decider with initial_state; {type(decider).__qualname__} has none"
            )
            raise ConfigurationError(msg)
        check_has(owner, "an event store as store", store, "read", "append")
        if not isinstance(cast("object", codec), JsonCodec):
            msg = (
                f"{owner} needs codec=JsonCodec(TypeRegistry([...])) knowing the decider's "
                f"events, not {type(codec).__qualname__}"
            )
            raise ConfigurationError(msg)
        self.decider = decider
        self.store = store
        self.codec = codec
        self.upcasters = check_upcasters(owner, upcasters)
        self.retries = check_count("retries", retries, 0)

    def load(self, stream_id: str) -> tuple[S, int]:
        """Return the state folded from a stream and the version it was folded at."""
        stored = self.store.read(stream_id)
        events: list[Any] = decode_events(self.codec, self.upcasters, stored)
        state: S = fold(self.decider, events)
        return state, (stored[-1].stream_version if stored else 0)

    def handle(self, stream_id: str, command: C) -> tuple[list[E], S]:
        """Decide `command` on the stream's state and append the events; return both.

        A refused command raises whatever ``decide`` raised, and nothing is stored.
        """
        for attempt in range(self.retries + 1):
            state, version = self.load(stream_id)
            events = list(self.decider.decide(command, state))
            if not events:
                return [], state
            owner = f"the decider {type(self.decider).__qualname__}"
            stored = readable_new_events(self.codec, events, owner)
            try:
                self.store.append(stream_id, stored, version)
            except WrongExpectedVersionError:
                if attempt == self.retries:
                    raise
                continue
            for event in events:
                state = self.decider.evolve(state, event)
            return events, state
        raise AssertionError  # pragma: no cover - the loop returns or raises
