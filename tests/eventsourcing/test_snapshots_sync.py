# Generated from test_snapshots_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""A snapshot is trusted only as far as the stream behind it (async colour; G12, item 4).

A snapshot at a version the stream never reached (999 of an 11-event stream), of another
aggregate class or snapshot version, or of a stream with no events, is ignored with a
warning naming the stream; the aggregate is rebuilt from its events, commits go on, and the
bad snapshot is replaced (the in-process cache stops serving it). On memory, SQLite and
PostgreSQL (event stores and SQL units of work) and the snapshot cache, in both flavours.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from _bank import FLAVOURS, POSTGRES, bank, forged_snapshot, postgres_namespace, sqlite_file
from msgspec.structs import replace

from tactica import AggregateNotFoundError
from tactica.eventsourcing import EventSourcedUnitOfWork, SnapshotCache
from tactica.stores.memory import InMemoryEventStore
from tactica.stores.postgres import PostgresEventStore, PostgresUnitOfWork
from tactica.stores.sqlite import SQLiteEventStore, SQLiteUnitOfWork

BACKENDS = [
    "memory",
    "memory-cache",
    "sqlite-store",
    "sqlite-uow",
    "postgres-store",
    "postgres-uow",
]
STREAM = "Account-acc-1"


@pytest.fixture(params=FLAVOURS)
def model(request: pytest.FixtureRequest) -> SimpleNamespace:
    return bank(request.param)


class StoreBank(EventSourcedUnitOfWork):
    def __init__(self, store: Any, snapshots: Any, model: SimpleNamespace) -> None:
        super().__init__(store)
        self.accounts = self.event_sourced(model.Account, snapshots=snapshots)


class SQLiteBank(SQLiteUnitOfWork):
    def __init__(self, path: Path, model: SimpleNamespace) -> None:
        super().__init__(path)
        self.accounts = self.event_sourced(model.Account, snapshot_every=100)


class PostgresBank(PostgresUnitOfWork):
    def __init__(self, namespace: str, model: SimpleNamespace) -> None:
        super().__init__(POSTGRES, namespace=namespace)
        self.accounts = self.event_sourced(model.Account, snapshot_every=100)


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, model: SimpleNamespace
) -> Iterator[SimpleNamespace]:
    """An event store, where its snapshots are kept, and units of work loading from them."""
    kind: str = request.param
    if kind.startswith("memory"):
        store = InMemoryEventStore()
        keeper: Any = SnapshotCache() if kind == "memory-cache" else store
        yield SimpleNamespace(
            store=store, snapshots=keeper, unit=lambda: StoreBank(store, keeper, model)
        )
        return
    if kind.startswith("sqlite"):
        path = sqlite_file(tmp_path)
        sqlite_store = SQLiteEventStore(path)
        unit: Any = (
            (lambda: SQLiteBank(path, model))
            if kind == "sqlite-uow"
            else (lambda: StoreBank(sqlite_store, sqlite_store, model))
        )
        yield SimpleNamespace(store=sqlite_store, snapshots=sqlite_store, unit=unit)
        sqlite_store.close()
        return
    with postgres_namespace() as namespace:
        postgres_store = PostgresEventStore(POSTGRES, namespace=namespace)
        unit = (
            (lambda: PostgresBank(namespace, model))
            if kind == "postgres-uow"
            else (lambda: StoreBank(postgres_store, postgres_store, model))
        )
        yield SimpleNamespace(store=postgres_store, snapshots=postgres_store, unit=unit)
        postgres_store.close()


def _eleven_events(backend: SimpleNamespace, model: SimpleNamespace) -> None:
    with backend.unit() as uow:
        account = model.Account.open("acc-1")
        for _ in range(10):
            account.deposit(1)
        uow.accounts.add(account)
        uow.commit()


def _warned(caplog: pytest.LogCaptureFixture, *parts: str) -> bool:
    return any(
        record.levelno == logging.WARNING and all(part in record.getMessage() for part in parts)
        for record in caplog.records
        if record.name == "tactica.eventsourcing"
    )


def test_a_snapshot_beyond_the_head_is_ignored_and_commits_go_on(
    backend: SimpleNamespace, model: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    """Version 999 of an 11-event stream: rebuilt from the events, no livelock, replaced."""
    _eleven_events(backend, model)
    backend.snapshots.save_snapshot(forged_snapshot(model, STREAM, 999, balance=10**6))
    with caplog.at_level(logging.WARNING, logger="tactica.eventsourcing"):
        with backend.unit() as uow:
            account = uow.accounts.get("acc-1")
            assert (account.balance, account.version) == (10, 11)
            account.deposit(5)
            uow.commit()
    assert _warned(caplog, repr(STREAM), "version 999", "version 11")
    with backend.unit() as uow:
        again = uow.accounts.get("acc-1")
    assert (again.balance, again.version) == (15, 12)
    replaced = backend.snapshots.load_snapshot(STREAM)
    assert replaced is None or replaced.version <= 12, "the bad snapshot is not served again"


def test_a_snapshot_of_a_stream_without_events_gives_no_aggregate(
    backend: SimpleNamespace, model: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    """A snapshot alone never brings an aggregate into existence."""
    backend.snapshots.save_snapshot(forged_snapshot(model, STREAM, 3, balance=7))
    with caplog.at_level(logging.WARNING, logger="tactica.eventsourcing"):
        with backend.unit() as uow:
            assert uow.accounts.find("acc-1") is None
            with pytest.raises(AggregateNotFoundError):
                uow.accounts.get("acc-1")
    assert _warned(caplog, repr(STREAM), "version 3", "version 0")


@pytest.mark.parametrize(
    "change",
    [
        {"type_name": "tests:SomethingElse"},
        {"schema_version": 7},
        {"state": b'{"owner": 7}'},
        {"id": "acc-2"},
    ],
    ids=["other-class", "other-snapshot-version", "unreadable", "other-account"],
)
def test_a_snapshot_of_another_shape_is_ignored_with_a_warning(
    backend: SimpleNamespace,
    model: SimpleNamespace,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
) -> None:
    """Another class, snapshot version or account, or an unreadable state: rebuilt, warned."""
    _eleven_events(backend, model)
    forged = forged_snapshot(model, STREAM, 5, balance=10**6)
    if "id" in change:
        forged = replace(forged, state=forged.state.replace(b'"acc-1"', b'"acc-2"'))
    else:
        forged = replace(forged, **change)
    backend.snapshots.save_snapshot(forged)
    with caplog.at_level(logging.WARNING, logger="tactica.eventsourcing"):
        with backend.unit() as uow:
            account = uow.accounts.get("acc-1")
    assert (account.balance, account.version) == (10, 11)
    assert _warned(caplog, "ignored the snapshot", repr(STREAM))


def test_a_snapshot_within_the_stream_is_still_used(
    backend: SimpleNamespace, model: SimpleNamespace
) -> None:
    """A true snapshot at version 6 is folded forward by the five events after it."""
    _eleven_events(backend, model)
    backend.snapshots.save_snapshot(forged_snapshot(model, STREAM, 6, balance=1000))
    with backend.unit() as uow:
        account = uow.accounts.get("acc-1")
    assert (account.balance, account.version) == (1005, 11), "the snapshot's state was used"
