# Generated from test_snapshot_policy_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Every unit's ``event_sourced`` follows one snapshot rule, with one default interval.

`snapshots` is a snapshot store, or ``True`` for the unit's own store; a `snapshot_every`
alone also means the unit's own store; ``snapshots=False`` or neither means none. The
interval defaults to 100 on every unit and on the repository itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _bank import bank, sqlite_file

from tactica.eventsourcing import (
    EventSourcedRepository,
    EventSourcedUnitOfWork,
    SnapshotCache,
)
from tactica.eventsourcing._checks import DEFAULT_SNAPSHOT_EVERY
from tactica.stores.memory import InMemoryEventStore
from tactica.stores.sqlite import SQLiteUnitOfWork

MODEL = bank("dataclasses")

# (arguments of event_sourced, whether the unit's own store keeps the snapshots, interval)
RULES: list[tuple[dict[str, Any], bool | None, int]] = [
    ({}, None, DEFAULT_SNAPSHOT_EVERY),
    ({"snapshot_every": 7}, True, 7),
    ({"snapshots": True}, True, DEFAULT_SNAPSHOT_EVERY),
    ({"snapshots": True, "snapshot_every": 3}, True, 3),
    ({"snapshots": False, "snapshot_every": 3}, None, 3),
    ({"snapshots": False}, None, DEFAULT_SNAPSHOT_EVERY),
]


@pytest.fixture(params=["event store unit", "sqlite unit"])
def unit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A unit of work of each kind, and the store it keeps its own snapshots in."""
    if request.param == "event store unit":
        yield EventSourcedUnitOfWork(InMemoryEventStore())
        return
    sqlite_file(tmp_path)
    uow = SQLiteUnitOfWork(tmp_path / "bank.db")
    with uow:
        yield uow


@pytest.mark.parametrize(("arguments", "own", "every"), RULES)
def test_each_unit_reads_the_snapshot_arguments_the_same_way(
    unit: Any, arguments: dict[str, Any], own: bool | None, every: int
) -> None:
    repository = unit.event_sourced(MODEL.Account, **arguments)
    expected = repository.store if own else None
    assert repository.snapshots is expected
    assert repository.snapshot_every == every


def test_a_snapshot_store_given_is_the_one_used(unit: Any) -> None:
    cache = SnapshotCache(10)
    repository = unit.event_sourced(MODEL.Account, snapshots=cache, snapshot_every=4)
    assert repository.snapshots is cache
    assert repository.snapshot_every == 4


def test_the_repository_and_the_units_share_one_default() -> None:
    repository = EventSourcedRepository(MODEL.Account, InMemoryEventStore())
    assert repository.snapshot_every == DEFAULT_SNAPSHOT_EVERY == 100
