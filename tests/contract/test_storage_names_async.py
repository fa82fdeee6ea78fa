"""Aggregates are stored under their storage name, so renaming a class keeps its data (async).

State rows, event streams and snapshots are keyed by the class's ``name=`` (else its
qualified name), never by its import path: a class renamed or moved that declares the same
name, or the old one in ``aliases=``, reads what the old class stored; a row under a name
the class had before and no longer declares is reported, naming that name and the fix. On
memory, SQLite and PostgreSQL, in both flavours.
"""

from __future__ import annotations

import functools
import importlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from _postgres_namespace import POSTGRES

from tactica import InMemoryDatabase, uuid7
from tactica.dataclasses import AggregateRoot
from tactica.errors import (
    AggregateAlreadyExistsError,
    ConfigurationError,
    UnregisteredAggregateTypeError,
)
from tactica.eventsourcing import AsyncEventSourcedRepository, AsyncEventSourcedUnitOfWork
from tactica.stores.memory import AsyncInMemoryEventStore, AsyncInMemoryUnitOfWork
from tactica.stores.postgres import (
    AsyncPostgresConnection,
    AsyncPostgresEventStore,
    AsyncPostgresUnitOfWork,
)
from tactica.stores.postgres import async_create_schema as async_create_postgres_schema
from tactica.stores.sqlite import (
    AsyncSQLiteConnection,
    AsyncSQLiteEventStore,
    AsyncSQLiteUnitOfWork,
    async_create_schema,
)
from tactica.testing import require_service

BACKENDS = ["memory", "sqlite", "postgres"]
FLAVOURS = ["dataclasses", "pydantic"]


class Ledger(AggregateRoot[str]):
    """Stored under its default name; its 0.1.0.dev0 key was ``"<module>:Ledger"``."""

    balance: int = 0


LEGACY = f"{Ledger.__module__}:Ledger"


def _account(flavour: str, **naming: Any) -> Any:
    """A new state-stored class named Account (the same qualified name every call)."""
    base: Any = importlib.import_module(f"tactica.{flavour}").AggregateRoot

    class Account(base[str], **naming):  # type: ignore[misc]
        balance: int = 0

    return Account


def _konto(flavour: str, **naming: Any) -> Any:
    """Account renamed: another class name, the same fields."""
    base: Any = importlib.import_module(f"tactica.{flavour}").AggregateRoot

    class Konto(base[str], **naming):  # type: ignore[misc]
        balance: int = 0

    return Konto


@functools.cache
def _counted(flavour: str) -> Any:
    module: Any = importlib.import_module(f"tactica.{flavour}")

    class Counted(module.DomainEvent, name="tests.names.counted"):
        amount: int

    return Counted


def _tally(flavour: str, **naming: Any) -> Any:
    """A new event-sourced class named Tally, counting `Counted` events."""
    base: Any = importlib.import_module(f"tactica.{flavour}").EventSourcedAggregate
    counted = _counted(flavour)

    class Tally(base[str, counted], **naming):  # type: ignore[misc, valid-type]
        total: int = 0

        def count(self, amount: int) -> None:
            self.apply(counted(amount=amount))

        def evolve(self, event: Any) -> None:
            self.total += event.amount

    return Tally


@pytest_asyncio.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[SimpleNamespace]:
    """`state()` makes a unit of work with `repository`, `events()` one with `event_sourced`."""
    kind: str = request.param
    if kind == "memory":
        database = InMemoryDatabase()
        store = AsyncInMemoryEventStore()
        yield SimpleNamespace(
            state=lambda: AsyncInMemoryUnitOfWork(database),
            events=lambda: AsyncEventSourcedUnitOfWork(store),
            store=store,
        )
        return
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="tactica-names-"))
        path = directory / "names.db"
        connection = AsyncSQLiteConnection(path)
        await async_create_schema(connection)
        await connection.close()
        sqlite_store = AsyncSQLiteEventStore(path)
        yield SimpleNamespace(
            state=lambda: AsyncSQLiteUnitOfWork(path),
            events=lambda: AsyncSQLiteUnitOfWork(path),
            store=sqlite_store,
        )
        await sqlite_store.close()
        shutil.rmtree(directory, ignore_errors=True)
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    namespace = f"tests_names_{uuid7().hex[-12:]}"
    connection_pg = AsyncPostgresConnection(POSTGRES, namespace=namespace)
    await async_create_postgres_schema(connection_pg)
    await connection_pg.close()
    postgres_store = AsyncPostgresEventStore(POSTGRES, namespace=namespace)
    try:
        yield SimpleNamespace(
            state=lambda: AsyncPostgresUnitOfWork(POSTGRES, namespace=namespace),
            events=lambda: AsyncPostgresUnitOfWork(POSTGRES, namespace=namespace),
            store=postgres_store,
        )
    finally:
        await postgres_store.close()
        admin = AsyncPostgresConnection(POSTGRES)
        await admin.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
        await admin.close()


async def _add(make: Callable[[], Any], cls: type, aggregate: Any, **options: Any) -> None:
    uow = make()
    repository = uow.repository(cls, **options)
    async with uow:
        await repository.add(aggregate)
        await uow.commit()


async def _find(make: Callable[[], Any], cls: type, aggregate_id: str, **options: Any) -> Any:
    uow = make()
    repository = uow.repository(cls, **options)
    async with uow:
        return await repository.find(aggregate_id)


async def _deposit(make: Callable[[], Any], cls: type, aggregate_id: str, amount: int) -> None:
    uow = make()
    repository = uow.repository(cls)
    async with uow:
        account = await repository.get(aggregate_id)
        account.balance += amount
        await uow.commit()


@pytest.mark.asyncio
@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_renamed_class_with_the_same_storage_name_reads_and_writes_the_old_rows(
    backend: SimpleNamespace, flavour: str
) -> None:
    name = f"tests.names.{uuid7().hex}"
    old = _account(flavour, name=name)
    await _add(backend.state, old, old(id="a-1", balance=5))
    await _deposit(backend.state, _konto(flavour, name=name), "a-1", 2)
    found = await _find(backend.state, old, "a-1")
    assert (type(found), found.balance, found.version) == (old, 7, 2)


@pytest.mark.asyncio
@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_an_alias_reads_the_old_row_and_the_next_write_moves_it_to_the_new_name(
    backend: SimpleNamespace, flavour: str
) -> None:
    old_name, new_name = f"tests.names.{uuid7().hex}", f"tests.names.{uuid7().hex}"
    old = _account(flavour, name=old_name)
    await _add(backend.state, old, old(id="a-1", balance=5))
    new = _konto(flavour, name=new_name, aliases=(old_name,))
    found = await _find(backend.state, new, "a-1")
    assert (type(found), found.balance, found.version) == (new, 5, 1)
    await _deposit(backend.state, new, "a-1", 1)
    # Moved: the new name alone finds it at the next version, the old name no longer does.
    alone = await _find(backend.state, _konto(flavour, name=new_name), "a-1")
    assert (alone.balance, alone.version) == (6, 2)
    assert await _find(backend.state, old, "a-1") is None


@pytest.mark.asyncio
@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_new_aggregate_whose_id_is_stored_under_an_alias_is_refused(
    backend: SimpleNamespace, flavour: str
) -> None:
    old_name, new_name = f"tests.names.{uuid7().hex}", f"tests.names.{uuid7().hex}"
    old = _account(flavour, name=old_name)
    await _add(backend.state, old, old(id="a-1", balance=5))
    new = _account(flavour, name=new_name, aliases=(old_name,))
    with pytest.raises(AggregateAlreadyExistsError):
        await _add(backend.state, new, new(id="a-1"))
    assert (await _find(backend.state, new, "a-1")).balance == 5


@pytest.mark.asyncio
@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_row_under_the_default_name_the_class_no_longer_has_is_reported(
    backend: SimpleNamespace, flavour: str
) -> None:
    unnamed = _account(flavour)
    await _add(backend.state, unnamed, unnamed(id="a-1", balance=5))
    named = _account(flavour, name=f"tests.names.{uuid7().hex}")
    with pytest.raises(UnregisteredAggregateTypeError) as raised:
        await _find(backend.state, named, "a-1")
    assert raised.value.row_type == "_account.Account"
    assert "aliases=('_account.Account',)" in str(raised.value)
    aliased = _account(flavour, name=f"tests.names.{uuid7().hex}", aliases=("_account.Account",))
    assert (await _find(backend.state, aliased, "a-1")).balance == 5


@pytest.mark.asyncio
async def test_a_row_under_the_old_module_and_qualname_key_is_reported_then_read_by_alias(
    backend: SimpleNamespace,
) -> None:
    """Rows written by tactica 0.1.0.dev0's default key stay readable with an alias."""
    ledger_id = f"l-{uuid7().hex}"
    await _add(backend.state, Ledger, Ledger(id=ledger_id, balance=3), type_name=LEGACY)
    with pytest.raises(UnregisteredAggregateTypeError, match="test_storage_names_"):
        await _find(backend.state, Ledger, ledger_id)

    class LedgerV2(AggregateRoot[str], name="Ledger", aliases=(LEGACY,)):
        balance: int = 0

    await _deposit(backend.state, LedgerV2, ledger_id, 1)
    assert (await _find(backend.state, Ledger, ledger_id)).balance == 4


@pytest.mark.asyncio
async def test_an_explicit_type_name_keeps_working_and_is_not_the_class_name(
    backend: SimpleNamespace,
) -> None:
    account = _account("dataclasses", name=f"tests.names.{uuid7().hex}")
    await _add(backend.state, account, account(id="a-1", balance=5), type_name="tests.names.x")
    assert await _find(backend.state, account, "a-1") is None
    assert (await _find(backend.state, account, "a-1", type_name="tests.names.x")).balance == 5


async def _open(backend: SimpleNamespace, cls: type, tally_id: str, amount: int) -> None:
    uow = backend.events()
    tallies = uow.event_sourced(cls)
    async with uow:
        tally = cls.blank(tally_id)  # type: ignore[attr-defined]
        tally.count(amount)
        await tallies.add(tally)
        await uow.commit()


async def _count(backend: SimpleNamespace, cls: type, tally_id: str, amount: int) -> Any:
    uow = backend.events()
    tallies = uow.event_sourced(cls)
    async with uow:
        tally = await tallies.get(tally_id)
        tally.count(amount)
        await uow.commit()
    return tally


@pytest.mark.asyncio
@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_event_streams_are_named_by_the_storage_name_and_survive_a_rename(
    backend: SimpleNamespace, flavour: str
) -> None:
    name = f"tests.names.{uuid7().hex}"
    await _open(backend, _tally(flavour, name=name), "t-1", 2)
    assert [e.stream_version for e in await backend.store.read(f"{name}-t-1")] == [1]
    renamed = await _count(backend, _tally(flavour, name=name), "t-1", 3)
    assert (renamed.total, renamed.version) == (5, 2)


@pytest.mark.asyncio
@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_an_aliased_stream_is_read_and_appended_to_under_its_old_name(
    backend: SimpleNamespace, flavour: str
) -> None:
    old_name, new_name = f"tests.names.{uuid7().hex}", f"tests.names.{uuid7().hex}"
    await _open(backend, _tally(flavour, name=old_name), "t-1", 2)
    renamed = await _count(backend, _tally(flavour, name=new_name, aliases=(old_name,)), "t-1", 3)
    assert (renamed.total, renamed.version) == (5, 2)
    assert len(await backend.store.read(f"{old_name}-t-1")) == 2
    assert await backend.store.read(f"{new_name}-t-1") == []


@pytest.mark.asyncio
async def test_an_explicit_stream_prefix_keeps_working(backend: SimpleNamespace) -> None:
    tally = _tally("dataclasses", name=f"tests.names.{uuid7().hex}")
    repository: Any = AsyncEventSourcedRepository(tally, backend.store, stream_prefix="Counter")
    assert repository.stream_id("t-1") == "Counter-t-1"


@pytest.mark.asyncio
@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_snapshots_are_named_by_the_storage_name_and_read_through_an_alias(
    backend: SimpleNamespace, flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    old_name, new_name = f"tests.names.{uuid7().hex}", f"tests.names.{uuid7().hex}"
    store = backend.store
    old: Any = AsyncEventSourcedRepository(
        _tally(flavour, name=old_name), store, snapshots=store, snapshot_every=1
    )
    tally = _tally(flavour, name=old_name).blank("t-1")
    tally.count(4)
    await old.add(tally)
    await old.commit()
    reader: Any = AsyncEventSourcedRepository(
        _tally(flavour, name=old_name), store, snapshots=store, snapshot_every=1
    )
    await reader.get("t-1")  # folds one event: saves a snapshot
    snapshot = await store.load_snapshot(f"{old_name}-t-1")
    assert snapshot is not None
    assert snapshot.type_name == old_name
    renamed: Any = AsyncEventSourcedRepository(
        _tally(flavour, name=new_name, aliases=(old_name,)), store, snapshots=store
    )
    with caplog.at_level(logging.WARNING, logger="tactica.eventsourcing"):
        assert (await renamed.get("t-1")).total == 4
    assert not caplog.records  # the snapshot was trusted, not ignored


def test_storage_names_are_checked_when_the_class_is_defined() -> None:
    with pytest.raises(ConfigurationError, match="storage name"):
        _account("dataclasses", name="bad name!")
    with pytest.raises(ConfigurationError, match="tuple of names"):
        _account("pydantic", aliases="OldName")
