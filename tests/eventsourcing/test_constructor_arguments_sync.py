# Generated from test_constructor_arguments_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Every public constructor of the event-sourcing package refuses a bad argument, typed.

(Async colour; issue 10 item 12.) A wrong count, codec, store, decider, prefix or upcasters
is a `ConfigurationError` naming the argument (and for counts the allowed range) when the
object is built, never a ``ValueError`` or an ``AttributeError`` at the first load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _bank import bank, sqlite_file
from hypothesis import given, settings
from hypothesis import strategies as st

from tactica import ConfigurationError, JsonCodec
from tactica.eventsourcing import (
    DeciderRunner,
    EventSourcedRepository,
    EventSourcedUnitOfWork,
    SnapshotCache,
)
from tactica.stores.memory import InMemoryEventStore
from tactica.stores.sql import SQLEventSourcedRepository
from tactica.stores.sqlite import SQLiteConnection, SQLiteUnitOfWork

MODEL = bank("dataclasses")
BAD_COUNTS: list[Any] = [0, -1, True, False, 1.0, "5", None, 2**63, 2**70]
BAD_RETRIES: list[Any] = [-1, True, 1.5, "2", None, 2**63]
NOT_A_STORE: list[Any] = [None, "store", 3, object()]


@pytest.mark.parametrize("value", BAD_COUNTS)
def test_a_snapshot_cache_needs_a_positive_size(value: Any) -> None:
    """SnapshotCache(0) and its kin name max_entries and the range."""
    with pytest.raises(ConfigurationError, match=r"max_entries must be an int from 1 to \d+"):
        SnapshotCache(value)


@pytest.mark.parametrize("value", BAD_COUNTS)
def test_a_repository_needs_a_positive_snapshot_interval(value: Any) -> None:
    """snapshot_every is an int from 1, on the repository and on the unit's factory."""
    store = InMemoryEventStore()
    with pytest.raises(ConfigurationError, match=r"snapshot_every must be an int from 1"):
        EventSourcedRepository(MODEL.Account, store, snapshot_every=value)
    if value is not None:  # None on a unit's factory means the default interval
        with pytest.raises(ConfigurationError, match="snapshot_every"):
            EventSourcedUnitOfWork(store).event_sourced(MODEL.Account, snapshot_every=value)


@pytest.mark.parametrize("value", [v for v in BAD_COUNTS if v is not None])
def test_a_sql_repository_needs_a_positive_snapshot_interval(
    value: Any, tmp_path: Path
) -> None:
    """In a SQL unit of work, snapshot_every=0 is refused, not read as "no snapshots"."""
    connection = SQLiteConnection(sqlite_file(tmp_path))
    uow = SQLiteUnitOfWork(tmp_path / "bank.db")
    try:
        with pytest.raises(ConfigurationError, match="snapshot_every"):
            SQLEventSourcedRepository(MODEL.Account, connection, snapshot_every=value)
        with pytest.raises(ConfigurationError, match="snapshot_every"):
            uow.event_sourced(MODEL.Account, snapshot_every=value)
    finally:
        connection.close()
        uow.connection.close()


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"codec": "json"}, "codec"),
        ({"codec": object()}, "codec"),
        ({"upcasters": {}}, "upcasters"),
        ({"stream_prefix": ""}, "stream_prefix"),
        ({"stream_prefix": 7}, "stream_prefix"),
        ({"snapshots": object()}, "snapshots"),
        ({"snapshots": "cache"}, "snapshots"),
    ],
)
def test_a_repository_names_the_argument_it_cannot_use(
    arguments: dict[str, Any], named: str
) -> None:
    """Codec, upcasters, prefix and snapshots are checked when the repository is built."""
    with pytest.raises(ConfigurationError, match=named):
        EventSourcedRepository(MODEL.Account, InMemoryEventStore(), **arguments)


@pytest.mark.parametrize("store", NOT_A_STORE)
def test_a_repository_and_a_unit_need_an_event_store(store: Any) -> None:
    """Anything without read/append/commit is not an event store."""
    with pytest.raises(ConfigurationError, match="event store"):
        EventSourcedRepository(MODEL.Account, store)
    with pytest.raises(ConfigurationError, match="event store"):
        EventSourcedUnitOfWork(store)


@pytest.mark.parametrize("aggregate_type", [None, "Account", 3, MODEL.Shelf])
def test_a_repository_needs_an_event_sourced_class(aggregate_type: Any) -> None:
    """Not a class, or a state-stored one: named, with what to derive from."""
    with pytest.raises(ConfigurationError, match="not event-sourced"):
        EventSourcedRepository(aggregate_type, InMemoryEventStore())


def test_a_unit_needs_a_json_codec() -> None:
    """The codec of a unit's outbox payloads is a JsonCodec."""
    with pytest.raises(ConfigurationError, match="codec"):
        EventSourcedUnitOfWork(InMemoryEventStore(), codec="json")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", BAD_RETRIES)
def test_a_decider_runner_needs_a_retry_count_from_zero(value: Any) -> None:
    """retries is an int from 0, named with its range."""
    with pytest.raises(ConfigurationError, match=r"retries must be an int from 0 to \d+"):
        DeciderRunner(
            MODEL.Booking(), InMemoryEventStore(), codec=MODEL.booking_codec, retries=value
        )


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"decider": object()}, "decider"),
        ({"decider": None}, "decider"),
        ({"store": None}, "event store"),
        ({"codec": None}, "codec"),
        ({"codec": "json"}, "codec"),
        ({"upcasters": []}, "upcasters"),
    ],
)
def test_a_decider_runner_names_the_argument_it_cannot_use(
    arguments: dict[str, Any], named: str
) -> None:
    """The decider, store, codec and upcasters are checked when the runner is built."""
    given_arguments: dict[str, Any] = {
        "decider": MODEL.Booking(),
        "store": InMemoryEventStore(),
        "codec": MODEL.booking_codec,
        **arguments,
    }
    decider = given_arguments.pop("decider")
    store = given_arguments.pop("store")
    with pytest.raises(ConfigurationError, match=named):
        DeciderRunner(decider, store, **given_arguments)


def test_a_decider_without_an_initial_state_is_refused() -> None:
    """initial_state is part of a decider, as decide and evolve are."""

    class Stateless:
        def decide(self, command: object, state: object) -> list[object]:
            return []

        def evolve(self, state: object, event: object) -> object:
            return state

    with pytest.raises(ConfigurationError, match="initial_state"):
        DeciderRunner(Stateless(), InMemoryEventStore(), codec=JsonCodec())  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(value=st.one_of(st.integers(), st.floats(), st.text(max_size=3), st.booleans(), st.none()))
def test_any_count_is_accepted_in_range_or_refused_typed(value: Any) -> None:
    """For any value, each count argument either builds or raises ConfigurationError."""
    store = InMemoryEventStore()
    attempts = [
        lambda: SnapshotCache(value),
        lambda: EventSourcedRepository(MODEL.Account, store, snapshot_every=value),
        lambda: DeciderRunner(
            MODEL.Booking(), store, codec=MODEL.booking_codec, retries=value
        ),
    ]
    minimums = [1, 1, 0]
    for attempt, minimum in zip(attempts, minimums, strict=True):
        if type(value) is int and minimum <= value <= 2**63 - 1:
            attempt()
        else:
            with pytest.raises(ConfigurationError):
                attempt()
