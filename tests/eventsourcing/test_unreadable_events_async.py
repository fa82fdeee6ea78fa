"""Nothing is committed that the codec cannot read back (async colour; G21, issue 10 item 3).

An aggregate that applies an event outside its declared union, or whose codec resolves the
event's name to another class, is refused at commit with `UnreadableEventError` before
anything is written: by the repository on any store, by the event-sourced unit of work, by
the SQL units of work's ``event_sourced`` repositories (before their transaction begins)
and by the decider runner. Every test runs on memory, SQLite and PostgreSQL, in both
flavours.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from _bank import FLAVOURS, POSTGRES, Rows, bank, postgres_namespace, sqlite_file

from tactica import JsonCodec, TypeRegistry, UnreadableEventError
from tactica.eventsourcing import (
    AsyncDeciderRunner,
    AsyncEventSourcedRepository,
    AsyncEventSourcedUnitOfWork,
)
from tactica.stores.memory import AsyncInMemoryEventStore
from tactica.stores.postgres import AsyncPostgresEventStore, AsyncPostgresUnitOfWork
from tactica.stores.sqlite import AsyncSQLiteEventStore, AsyncSQLiteUnitOfWork

BACKENDS = ["memory", "sqlite-store", "sqlite-uow", "postgres-store", "postgres-uow"]


@pytest.fixture(params=FLAVOURS)
def model(request: pytest.FixtureRequest) -> SimpleNamespace:
    return bank(request.param)


class StoreBank(AsyncEventSourcedUnitOfWork):
    def __init__(self, store: Any, model: SimpleNamespace) -> None:
        super().__init__(store)
        self.accounts = self.event_sourced(model.Account)


class SQLiteBank(AsyncSQLiteUnitOfWork):
    def __init__(self, path: Path, model: SimpleNamespace) -> None:
        super().__init__(path)
        self.accounts = self.event_sourced(model.Account)
        self.shelves = self.repository(model.Shelf)


class PostgresBank(AsyncPostgresUnitOfWork):
    def __init__(self, namespace: str, model: SimpleNamespace) -> None:
        super().__init__(POSTGRES, namespace=namespace)
        self.accounts = self.event_sourced(model.Account)
        self.shelves = self.repository(model.Shelf)


@pytest_asyncio.fixture(params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, model: SimpleNamespace
) -> AsyncIterator[SimpleNamespace]:
    """An event store, units of work on it, and raw rows (SQL backends), per backend."""
    kind: str = request.param
    if kind == "memory":
        store = AsyncInMemoryEventStore()
        yield SimpleNamespace(kind=kind, store=store, unit=lambda: StoreBank(store, model))
        return
    if kind.startswith("sqlite"):
        path = sqlite_file(tmp_path)
        sqlite_store = AsyncSQLiteEventStore(path)
        unit: Any = (
            (lambda: SQLiteBank(path, model))
            if kind == "sqlite-uow"
            else (lambda: StoreBank(sqlite_store, model))
        )
        yield SimpleNamespace(kind=kind, store=sqlite_store, unit=unit, rows=Rows(path=path))
        await sqlite_store.close()
        return
    with postgres_namespace() as namespace:
        postgres_store = AsyncPostgresEventStore(POSTGRES, namespace=namespace)
        unit = (
            (lambda: PostgresBank(namespace, model))
            if kind == "postgres-uow"
            else (lambda: StoreBank(postgres_store, model))
        )
        yield SimpleNamespace(
            kind=kind, store=postgres_store, unit=unit, rows=Rows(namespace=namespace)
        )
        await postgres_store.close()


async def _opened(backend: SimpleNamespace, model: SimpleNamespace) -> None:
    async with backend.unit() as uow:
        account = model.Account.open("acc-1")
        account.deposit(5)
        await uow.accounts.add(account)
        await uow.commit()


def _names_the_event_and_the_aggregate(error: UnreadableEventError, model: Any) -> None:
    message = str(error)
    assert "tests.hard.refunded" in message
    assert "Account 'acc-1'" in message
    assert "event union" in message
    assert "TypeRegistry" in message
    assert "Nothing was stored" in message
    assert error.event_type is model.Refunded
    assert error.type_name == "tests.hard.refunded"


@pytest.mark.asyncio
async def test_an_event_outside_the_union_is_refused_and_the_aggregate_stays_loadable(
    backend: SimpleNamespace, model: SimpleNamespace
) -> None:
    """The commit raises naming the event and the aggregate; the stream is as it was."""
    await _opened(backend, model)
    async with backend.unit() as uow:
        account = await uow.accounts.get("acc-1")
        account.deposit(1)
        account.refund(7)
        with pytest.raises(UnreadableEventError) as caught:
            await uow.commit()
    _names_the_event_and_the_aggregate(caught.value, model)
    assert await backend.store.stream_version("Account-acc-1") == 2
    async with backend.unit() as check:
        loaded = await check.accounts.get("acc-1")
    assert (loaded.balance, loaded.version) == (5, 2)


@pytest.mark.asyncio
async def test_a_new_aggregate_with_an_unreadable_event_is_not_stored_at_all(
    backend: SimpleNamespace, model: SimpleNamespace
) -> None:
    """Nothing of the commit is written: no stream, and (in a SQL unit) no state row."""
    async with backend.unit() as uow:
        account = model.Account.open("acc-1")
        account.refund(3)
        await uow.accounts.add(account)
        if hasattr(uow, "shelves"):
            await uow.shelves.add(model.Shelf(id="s-1"))
        with pytest.raises(UnreadableEventError):
            await uow.commit()
    assert await backend.store.stream_version("Account-acc-1") == 0
    async with backend.unit() as check:
        assert await check.accounts.find("acc-1") is None
    if backend.kind.endswith("uow"):
        assert backend.rows.count("tactica_aggregates") == 0
        assert backend.rows.count("tactica_outbox") == 0


class NoTransaction:
    """A unit's connection that fails the test if a transaction begins."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def begin(self) -> None:
        raise AssertionError("the transaction began before the events were checked")


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
@pytest.mark.asyncio
async def test_a_sql_unit_refuses_before_its_transaction_begins(
    database: str, tmp_path: Path, model: SimpleNamespace
) -> None:
    """The SQL units of work check event-sourced writes before BEGIN, not inside it."""

    async def refused(uow: Any) -> None:
        async with uow:
            await uow.shelves.add(model.Shelf(id="s-1"))
            account = model.Account.open("acc-1")
            account.refund(3)
            await uow.accounts.add(account)
            uow.connection = NoTransaction(uow.connection)
            with pytest.raises(UnreadableEventError):
                await uow.commit()

    if database == "sqlite":
        await refused(SQLiteBank(sqlite_file(tmp_path), model))
        return
    with postgres_namespace() as namespace:
        await refused(PostgresBank(namespace, model))


@pytest.mark.asyncio
async def test_a_repository_refuses_on_its_own_commit(
    backend: SimpleNamespace, model: SimpleNamespace
) -> None:
    """An event-sourced repository used without a unit of work refuses the same way."""
    repository = AsyncEventSourcedRepository(model.Account, backend.store)
    account = model.Account.open("acc-1")
    await repository.add(account)
    await repository.commit()
    account.refund(2)
    with pytest.raises(UnreadableEventError) as caught:
        await repository.commit()
    _names_the_event_and_the_aggregate(caught.value, model)
    assert await backend.store.stream_version("Account-acc-1") == 1
    account.pull_events()
    account.deposit(4)
    await repository.commit()
    again = await AsyncEventSourcedRepository(model.Account, backend.store).get("acc-1")
    assert again.version == 2


@pytest.mark.asyncio
async def test_a_name_the_registry_resolves_to_another_class_is_refused(
    backend: SimpleNamespace, model: SimpleNamespace
) -> None:
    """A registry that reads the stored name back as another class cannot read it back."""

    class Impostor(model.flavour.DomainEvent, name="tests.hard.deposited"):
        amount: int

    codec = JsonCodec(TypeRegistry([model.Opened, Impostor]))
    repository = AsyncEventSourcedRepository(model.Account, backend.store, codec=codec)
    account = model.Account.open("acc-1")
    account.deposit(1)
    await repository.add(account)
    with pytest.raises(UnreadableEventError, match=r"resolves 'tests\.hard\.deposited' to"):
        await repository.commit()
    assert await backend.store.stream_version("Account-acc-1") == 0


@pytest.mark.asyncio
async def test_a_decider_returning_an_unregistered_event_stores_nothing(
    backend: SimpleNamespace, model: SimpleNamespace
) -> None:
    """The runner refuses what its codec cannot read back; registered events still go."""
    runner = AsyncDeciderRunner(model.Booking(), backend.store, codec=model.booking_codec)
    await runner.handle("hall-1", 2)
    with pytest.raises(UnreadableEventError) as caught:
        await runner.handle("hall-1", -1)
    assert "the decider Booking" in str(caught.value)
    assert "tests.hard.cancelled" in str(caught.value)
    assert await backend.store.stream_version("hall-1") == 1
    state, version = await runner.load("hall-1")
    assert (state.free, version) == (8, 1)
