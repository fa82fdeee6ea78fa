# Generated from test_event_sourced_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Event-sourced repositories and units of work (sync colour), on every event store.

Aggregates load by replaying their stream and save by appending what they recorded, at the
version read; every touched stream commits at once, with the outbox rows of integration
events, in memory, on SQLite, on PostgreSQL, and inside a SQL unit of work next to
state-stored aggregates.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Iterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, Self, TypeAlias, assert_never

import pytest
from msgspec.structs import replace

from tactica import MessageBus, ConcurrencyError, ConfigurationError, Handlers, uuid7
from tactica.codec import JsonCodec, TypeRegistry
from tactica.codec._upcasting import Upcasters
from tactica.errors import AggregateAlreadyExistsError, AggregateNotFoundError
from tactica.eventsourcing import (
    EventSourcedRepository,
    EventSourcedUnitOfWork,
    SnapshotCache,
)
from tactica.ports import NewEvent, Snapshot
from tactica.stores.memory import InMemoryEventStore
from tactica.stores.postgres import (
    PostgresEventStore,
    PostgresUnitOfWork,
    PostgresConnection,
)
from tactica.stores.postgres import create_schema as create_postgres_schema
from tactica.stores.sqlite import (
    SQLiteEventStore,
    SQLiteUnitOfWork,
    SQLiteConnection,
    create_schema,
)
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


FLAVOURS = ["dataclasses", "pydantic"]


@functools.cache
def bank(flavour_name: str) -> SimpleNamespace:
    """The accounts and shelves of these tests, declared once per flavour."""
    flavour = importlib.import_module(f"tactica.{flavour_name}")

    class Opened(flavour.DomainEvent, name="tests.es.opened"):
        owner: str

    class Deposited(flavour.DomainEvent, name="tests.es.deposited", integration=True):
        amount: int

    AccountEvent: TypeAlias = Opened | Deposited

    class Account(flavour.EventSourcedAggregate[str, AccountEvent]):
        owner: str
        balance: int = 0

        @classmethod
        def open(cls, account_id: str, owner: str) -> Self:
            account = cls.blank(account_id)
            account.apply(Opened(owner=owner))
            return account

        def deposit(self, amount: int) -> None:
            self.apply(Deposited(amount=amount))

        def evolve(self, event: AccountEvent) -> None:
            match event:
                case Opened(owner=owner):
                    self.owner = owner
                case Deposited(amount=amount):
                    self.balance += amount
                case _:
                    assert_never(event)

    class Shelf(flavour.AggregateRoot[str]):
        books: int = 0

    return SimpleNamespace(
        flavour=flavour, Opened=Opened, Deposited=Deposited, Account=Account, Shelf=Shelf
    )


@pytest.fixture(params=FLAVOURS)
def model(request: pytest.FixtureRequest) -> SimpleNamespace:
    """The bank of one flavour: every test runs with dataclasses and with pydantic."""
    return bank(request.param)


class StoreBank(EventSourcedUnitOfWork):
    def __init__(self, store: Any, model: SimpleNamespace) -> None:
        super().__init__(store)
        self.accounts = self.event_sourced(model.Account)


class SQLiteBank(SQLiteUnitOfWork):
    """Event-sourced accounts and state-stored shelves in one SQLite transaction."""

    def __init__(self, path: Path, model: SimpleNamespace) -> None:
        super().__init__(path)
        self.accounts = self.event_sourced(model.Account)
        self.shelves = self.repository(model.Shelf)


class PostgresBank(PostgresUnitOfWork):
    def __init__(self, conninfo: str, namespace: str, model: SimpleNamespace) -> None:
        super().__init__(conninfo, namespace=namespace)
        self.accounts = self.event_sourced(model.Account)
        self.shelves = self.repository(model.Shelf)


@pytest.fixture(
    params=["memory", "sqlite-store", "sqlite-uow", "postgres-store", "postgres-uow"]
)
def new_bank(
    request: pytest.FixtureRequest, tmp_path: Path, model: SimpleNamespace
) -> Iterator[Callable[[], Any]]:
    """A factory of units of work over one fresh event store, per backend and flavour."""
    if request.param == "memory":
        store = InMemoryEventStore()
        yield lambda: StoreBank(store, model)
        return
    if request.param.startswith("sqlite"):
        path = tmp_path / "bank.db"
        connection = SQLiteConnection(path)
        create_schema(connection)
        connection.close()
        if request.param == "sqlite-store":
            sqlite_store = SQLiteEventStore(path)
            yield lambda: StoreBank(sqlite_store, model)
            sqlite_store.close()
            return
        yield lambda: SQLiteBank(path, model)
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    namespace = f"tests_es_{uuid7().hex[-12:]}"
    schema = PostgresConnection(POSTGRES, namespace=namespace)
    create_postgres_schema(schema)
    schema.close()
    try:
        if request.param == "postgres-store":
            postgres_store = PostgresEventStore(POSTGRES, namespace=namespace)
            yield lambda: StoreBank(postgres_store, model)
            postgres_store.close()
        else:
            yield lambda: PostgresBank(POSTGRES, namespace, model)
    finally:
        cleanup = PostgresConnection(POSTGRES)
        cleanup.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
        cleanup.close()


def _opened(new_bank: Callable[[], Any], *accounts: str) -> None:
    with new_bank() as uow:
        for account_id in accounts:
            uow.accounts.add(uow.accounts.aggregate_type.open(account_id, "Ada"))
        uow.commit()


def test_an_aggregate_saved_as_events_replays_to_the_same_state(
    new_bank: Callable[[], Any], model: SimpleNamespace
) -> None:
    """Opened and changed, committed, then loaded elsewhere: same state and version."""
    with new_bank() as uow:
        account = model.Account.open("acc-1", "Ada")
        account.deposit(5)
        uow.accounts.add(account)
        uow.commit()
    with new_bank() as uow:
        loaded = uow.accounts.get("acc-1")
        assert type(loaded) is model.Account
        loaded.deposit(7)
        uow.commit()
    with new_bank() as uow:
        again = uow.accounts.get("acc-1")
    assert (again.owner, again.balance, again.version) == ("Ada", 12, 3)
    assert again.pending_events == ()


def test_a_stale_copy_stores_none_of_the_commits_streams(
    new_bank: Callable[[], Any],
) -> None:
    """A commit touching two streams, one stale, appends to neither."""
    _opened(new_bank, "acc-1", "acc-2")
    with new_bank() as uow:
        (uow.accounts.get("acc-1")).deposit(50)
        stale = uow.accounts.get("acc-2")
        with new_bank() as rival:
            (rival.accounts.get("acc-2")).deposit(1)
            rival.commit()
        stale.deposit(50)
        with pytest.raises(ConcurrencyError, match="acc-2"):
            uow.commit()
    with new_bank() as check:
        assert (check.accounts.get("acc-1")).balance == 0
        assert (check.accounts.get("acc-2")).balance == 1


def test_opening_an_existing_id_is_refused(
    new_bank: Callable[[], Any], model: SimpleNamespace
) -> None:
    """A new aggregate whose stream already exists: AggregateAlreadyExistsError."""
    _opened(new_bank, "acc-1")
    with new_bank() as uow:
        uow.accounts.add(model.Account.open("acc-1", "Bob"))
        with pytest.raises(AggregateAlreadyExistsError, match="acc-1"):
            uow.commit()
    with new_bank() as check:
        assert (check.accounts.get("acc-1")).owner == "Ada"


def test_events_are_published_after_commit_and_integration_ones_reach_the_outbox(
    new_bank: Callable[[], Any], model: SimpleNamespace
) -> None:
    """The bus hands committed events to handlers; integration events are in the outbox."""
    _opened(new_bank, "acc-1")

    class Deposit(model.flavour.Command[int], name="tests.es.deposit"):
        account_id: str
        amount: int

    seen: list[int] = []
    handlers = Handlers()

    @handlers.command(message_type=Deposit)
    def deposit(command: Any, uow: Any) -> int:
        with uow:
            account = uow.accounts.get(command.account_id)
            account.deposit(command.amount)
            uow.commit()
        balance: int = account.balance
        return balance

    @handlers.event(message_type=model.Deposited)
    def remember(event: Any) -> None:
        seen.append(event.amount)

    bus = MessageBus(handlers, unit_of_work=new_bank)
    assert bus.dispatch(Deposit(account_id="acc-1", amount=3)) == 3
    assert seen == [3]
    uow = new_bank()
    if isinstance(uow, StoreBank) and isinstance(uow.store, InMemoryEventStore):
        assert [m.type_name for m in uow.store.log.outbox()] == ["tests.es.deposited"]
    elif hasattr(uow, "connection"):
        with uow:
            rows = uow.connection.fetch(
                "SELECT type_name FROM tactica_outbox WHERE causation_id IS NOT NULL"
                " AND type_name = ?",
                ("tests.es.deposited",),
            )
        assert rows


def test_an_aggregate_reads_as_it_was_at_an_earlier_version(
    new_bank: Callable[[], Any], model: SimpleNamespace
) -> None:
    """get_at replays only up to the version asked for, and tracks nothing."""
    with new_bank() as uow:
        account = model.Account.open("acc-1", "Ada")
        for amount in (1, 2, 3):
            account.deposit(amount)
        uow.accounts.add(account)
        uow.commit()
    with new_bank() as uow:
        past = uow.accounts.get_at("acc-1", 2)
        assert (past.balance, past.version) == (1, 2)
        assert uow.accounts.seen == ()
        with pytest.raises(AggregateNotFoundError):
            uow.accounts.get_at("nobody", 1)


def test_a_missing_aggregate_is_not_found(new_bank: Callable[[], Any]) -> None:
    """An id without a stream: get raises, find returns None."""
    with new_bank() as uow:
        assert uow.accounts.find("nobody") is None
        with pytest.raises(AggregateNotFoundError, match="nobody"):
            uow.accounts.get("nobody")


def test_state_and_event_sourced_aggregates_commit_in_one_sql_transaction(
    tmp_path: Path, model: SimpleNamespace
) -> None:
    """In a SQL unit of work, a stale stream also rolls back the state rows and the outbox."""
    path = tmp_path / "mixed.db"
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    with SQLiteBank(path, model) as uow:
        uow.accounts.add(model.Account.open("acc-1", "Ada"))
        uow.shelves.add(model.Shelf(id="s-1"))
        uow.commit()
    with SQLiteBank(path, model) as uow:
        stale = uow.accounts.get("acc-1")
        (uow.shelves.get("s-1")).books = 9
        with SQLiteBank(path, model) as rival:
            (rival.accounts.get("acc-1")).deposit(1)
            rival.commit()
        stale.deposit(100)
        with pytest.raises(ConcurrencyError):
            uow.commit()
    with SQLiteBank(path, model) as check:
        assert (check.shelves.get("s-1")).books == 0
        assert (check.accounts.get("acc-1")).balance == 1
        rows = check.connection.fetch("SELECT COUNT(*) FROM tactica_outbox")
        assert rows[0][0] == 1, "only the rival's deposit reached the outbox"


def test_a_repository_appends_each_event_once_across_commits(
    model: SimpleNamespace,
) -> None:
    """Tracking survives a commit: the next commit appends only what is new."""
    store = InMemoryEventStore()
    repository = EventSourcedRepository(model.Account, store)
    account = model.Account.open("acc-1", "Ada")
    repository.add(account)
    repository.commit()
    account.deposit(4)
    repository.commit()
    repository.commit()
    assert [e.type_name for e in store.read(repository.stream_id("acc-1"))] == [
        "tests.es.opened",
        "tests.es.deposited",
    ]


def test_events_pulled_between_commits_never_hide_the_next_ones(
    model: SimpleNamespace,
) -> None:
    """Appended events are known by event id: a new event at a freed address is still new."""
    store = InMemoryEventStore()
    repository = EventSourcedRepository(model.Account, store)
    account = model.Account.open("acc-1", "Ada")
    repository.add(account)
    for amount in range(1, 41):
        repository.commit()
        account.pull_events()
        account.deposit(amount)
    repository.commit()
    stored = store.read(repository.stream_id("acc-1"))
    assert len(stored) == 41
    assert (EventSourcedRepository(model.Account, store).get("acc-1")).balance == 820


def test_old_events_are_upcast_when_an_aggregate_is_loaded(model: SimpleNamespace) -> None:
    """A stream written at an older schema replays through the upcasters."""

    class Credited(model.flavour.DomainEvent, name="tests.es.credited", version=2):
        cents: int

    class Wallet(model.flavour.EventSourcedAggregate[str, Credited]):
        cents: int = 0

        def evolve(self, event: Any) -> None:
            self.cents += event.cents

    upcasters = Upcasters()

    @upcasters.register("tests.es.credited", from_version=1)
    def euros_to_cents(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "cents": data.pop("euros") * 100}

    codec = JsonCodec(TypeRegistry([Credited]))
    upcasters.validate(codec.registry)
    store = InMemoryEventStore()
    old = Credited(cents=0)
    payload = codec.encode(old).replace(b'"cents":0', b'"euros":3')
    store.append(
        "Wallet-w-1", [NewEvent("tests.es.credited", payload, old.event_id, old.occurred_at)]
    )
    repository = EventSourcedRepository(
        Wallet, store, codec=codec, upcasters=upcasters, stream_prefix="Wallet"
    )
    assert (repository.get("w-1")).cents == 300
    by_default = EventSourcedRepository(
        Wallet, store, upcasters=upcasters, stream_prefix="Wallet"
    )
    with pytest.raises(ConfigurationError, match="another TypeRegistry"):
        by_default.get("w-1")


def test_only_event_sourced_aggregates_and_never_a_deletion(model: SimpleNamespace) -> None:
    """A state-stored class is refused at build time; deleting history is refused."""
    store = InMemoryEventStore()
    with pytest.raises(ConfigurationError, match="not event-sourced"):
        EventSourcedRepository(model.Shelf, store)
    repository = EventSourcedRepository(model.Account, store)
    with pytest.raises(ConfigurationError, match="record an event that closes it"):
        repository.delete(model.Account.open("acc-1", "Ada"))


class CountingStore(InMemoryEventStore):
    """Counts the stored events each read hands back."""

    def __init__(self) -> None:
        super().__init__()
        self.events_read = 0

    def read(self, stream_id: str, **options: Any) -> Any:
        events = super().read(stream_id, **options)
        self.events_read += len(events)
        return events


def _account_with_deposits(model: SimpleNamespace, store: Any, deposits: int) -> None:
    account = model.Account.open("acc-1", "Ada")
    for _ in range(deposits):
        account.deposit(1)
    repository = EventSourcedRepository(model.Account, store, stream_prefix="Account")
    repository.add(account)
    repository.commit()


@pytest.mark.parametrize("snapshots", ["store", "cache"])
def test_a_long_replay_leaves_a_snapshot_and_later_loads_fold_only_the_tail(
    snapshots: str, model: SimpleNamespace
) -> None:
    """After folding many events a snapshot is saved; the next load reads only what follows."""
    store = CountingStore()
    _account_with_deposits(model, store, 249)
    keeper = store if snapshots == "store" else SnapshotCache(max_entries=8)

    def repository() -> EventSourcedRepository[Any, str]:
        return EventSourcedRepository(
            model.Account, store, snapshots=keeper, snapshot_every=100, stream_prefix="Account"
        )

    first = repository().get("acc-1")
    assert (first.balance, first.version, store.events_read) == (249, 250, 250)
    more = repository()
    account = more.get("acc-1")
    account.deposit(5)
    more.commit()
    store.events_read = 0
    again = repository().get("acc-1")
    assert (again.balance, again.version) == (254, 251)
    assert store.events_read == 2, "the snapshot's own event (not decoded) and the one after it"
    assert again == first
    assert (repository().get("acc-1")).pending_events == ()


def test_a_snapshot_of_another_shape_is_ignored_not_misread(model: SimpleNamespace) -> None:
    """A snapshot of an older snapshot_version, or one that no longer decodes, is skipped."""
    store = CountingStore()
    _account_with_deposits(model, store, 150)
    repository = EventSourcedRepository(
        model.Account, store, snapshots=store, stream_prefix="Account"
    )
    repository.get("acc-1")
    snapshot = store.load_snapshot("Account-acc-1")
    assert snapshot is not None
    assert snapshot.version == 151

    class AccountV2(model.Account):
        snapshot_version: ClassVar[int] = 2

    store.events_read = 0
    newer = EventSourcedRepository(AccountV2, store, snapshots=store, stream_prefix="Account")
    assert (newer.get("acc-1")).balance == 150
    assert store.events_read == 151, "the old snapshot was not used"
    store.save_snapshot(replace(snapshot, state=b'{"owner": 7}'))
    store.events_read = 0
    unreadable = EventSourcedRepository(
        model.Account, store, snapshots=store, stream_prefix="Account"
    )
    assert (unreadable.get("acc-1")).balance == 150
    assert store.events_read == 151


def test_the_snapshot_cache_keeps_the_most_recently_used_streams() -> None:
    """Beyond its size the cache forgets the least recently used stream, and never goes back."""
    cache = SnapshotCache(max_entries=2)
    for stream in ("a", "b"):
        cache.save_snapshot(Snapshot(stream, 5, "t", 1, b"{}"))
    assert cache.load_snapshot("a") is not None
    cache.save_snapshot(Snapshot("c", 1, "t", 1, b"{}"))
    assert cache.load_snapshot("b") is None
    cache.save_snapshot(Snapshot("a", 3, "t", 1, b"{}"))
    cached = cache.load_snapshot("a")
    assert cached is not None
    assert cached.version == 5
    cache.discard_snapshot("a")
    assert cache.load_snapshot("a") is None
    with pytest.raises(ConfigurationError, match="max_entries"):
        SnapshotCache(max_entries=0)
