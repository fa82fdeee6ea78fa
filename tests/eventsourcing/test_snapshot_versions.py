"""Property (G12): whatever version a snapshot claims, a load equals the replay of the stream.

A snapshot at a version the stream has (with that version's true state) is folded forward;
one beyond the head or past any stored version is ignored (stores refuse to save one at
version 0), so the loaded
aggregate always equals the fold of the stored events and the next commit succeeds. Both
colours, both flavours, on memory, a SQLite file and PostgreSQL. The broken twin, a
repository that trusts the snapshot's version, loads the forged balance and conflicts.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from _bank import FLAVOURS, POSTGRES, bank, forged_snapshot, postgres_namespace, sqlite_file
from hypothesis import given, settings
from hypothesis import strategies as st

from tactica.eventsourcing import AsyncEventSourcedRepository, EventSourcedRepository
from tactica.stores.memory import AsyncInMemoryEventStore, InMemoryEventStore
from tactica.stores.postgres import AsyncPostgresEventStore, PostgresEventStore
from tactica.stores.sqlite import AsyncSQLiteEventStore, SQLiteEventStore

FORGED_BALANCE = 10**6

claims = st.tuples(
    st.integers(min_value=0, max_value=12),  # events in the stream
    st.one_of(
        st.integers(min_value=1, max_value=30),
        st.sampled_from([2**31, 2**62, 2**63 - 1]),
    ),  # the version the snapshot claims
)


@contextmanager
def stores(backend: str) -> Iterator[tuple[Any, Any]]:
    """A sync and an async event store on one fresh database of `backend`."""
    if backend == "memory":
        yield InMemoryEventStore(), AsyncInMemoryEventStore()
        return
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            path = sqlite_file(Path(directory))
            sync_store, async_store = SQLiteEventStore(path), AsyncSQLiteEventStore(path)
            yield sync_store, async_store
            sync_store.close()
            asyncio.run(async_store.close())
        return
    with postgres_namespace() as namespace:
        sync_store = PostgresEventStore(POSTGRES, namespace=namespace)
        async_store = AsyncPostgresEventStore(POSTGRES, namespace=namespace)
        yield sync_store, async_store
        sync_store.close()
        asyncio.run(async_store.close())


def _snapshot_at(model: SimpleNamespace, stream: str, head: int, claimed: int) -> Any:
    if 1 <= claimed <= head:
        return forged_snapshot(model, stream, claimed, balance=claimed - 1)  # the true state
    return forged_snapshot(model, stream, claimed, balance=FORGED_BALANCE)


def _history(model: SimpleNamespace, account_id: str, head: int) -> Any:
    account = model.Account.open(account_id)
    for _ in range(head - 1):
        account.deposit(1)
    return account


def check_sync(
    model: SimpleNamespace, store: Any, account_id: str, head: int, claimed: int
) -> None:
    repository = EventSourcedRepository(model.Account, store, snapshots=store)
    if head:
        repository.add(_history(model, account_id, head))
        repository.commit()
    store.save_snapshot(_snapshot_at(model, f"Account-{account_id}", head, claimed))
    loaded = EventSourcedRepository(model.Account, store, snapshots=store)
    found = loaded.find(account_id)
    if head == 0:
        assert found is None
        return
    assert found is not None
    assert (found.balance, found.version) == (head - 1, head)
    found.deposit(1)
    loaded.commit()
    assert store.stream_version(f"Account-{account_id}") == head + 1


async def check_async(
    model: SimpleNamespace, store: Any, account_id: str, head: int, claimed: int
) -> None:
    repository = AsyncEventSourcedRepository(model.Account, store, snapshots=store)
    if head:
        await repository.add(_history(model, account_id, head))
        await repository.commit()
    await store.save_snapshot(_snapshot_at(model, f"Account-{account_id}", head, claimed))
    loaded = AsyncEventSourcedRepository(model.Account, store, snapshots=store)
    found = await loaded.find(account_id)
    if head == 0:
        assert found is None
        return
    assert found is not None
    assert (found.balance, found.version) == (head - 1, head)
    found.deposit(1)
    await loaded.commit()
    assert await store.stream_version(f"Account-{account_id}") == head + 1


def _run(backend: str, flavour_name: str, examples: int) -> None:
    model = bank(flavour_name)
    with stores(backend) as (sync_store, async_store):
        counter = iter(range(10**9))

        @settings(max_examples=examples, deadline=None)
        @given(claim=claims)
        def property_holds(claim: tuple[int, int]) -> None:
            head, claimed = claim
            check_sync(model, sync_store, f"s{next(counter)}", head, claimed)
            asyncio.run(check_async(model, async_store, f"a{next(counter)}", head, claimed))

        property_holds()


@pytest.mark.parametrize("flavour_name", FLAVOURS)
@pytest.mark.parametrize(
    ("backend", "examples"), [("memory", 60), ("sqlite", 25), ("postgres", 15)]
)
def test_a_load_equals_the_replay_whatever_version_the_snapshot_claims(
    backend: str, examples: int, flavour_name: str
) -> None:
    """For any stream length and claimed snapshot version, load == replay, commit succeeds."""
    _run(backend, flavour_name, examples)
