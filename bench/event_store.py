"""The event store against the raw driver doing the same SQL, and against ``eventsourcing``.

Four kinds of row, each on a SQLite file and on PostgreSQL, each timed side by side:

- "append 10": one save of 10 new domain events to a stream that grows with every call,
  at the version the caller expects. Each call builds its 10 events and encodes them.
  tactica: ``store.append(stream_id, [NewEvent x 10], expected_version)`` with payloads
  from tactica's JSON codec. Raw: tactica's statements, in tactica's order, through the
  bare driver (``BEGIN IMMEDIATE`` on SQLite, ``BEGIN`` on PostgreSQL; the ``SELECT`` of
  the 10 event ids that makes a retry idempotent; the ``SELECT MAX(stream_version)``
  checked against the expected version; 10 ``INSERT ... RETURNING position``;
  ``COMMIT``), with the same JSON documents from msgspec. eventsourcing: 10 calls of an
  ``@event`` method on one of its aggregates, then ``Application.save``.
- "load N": read one stream of N events (an "opened" event, then deposits) and decode
  every one into a domain event object. tactica: ``store.read`` and
  ``tactica.eventsourcing.decode_events`` (what its repositories use; it honours schema
  versions, decoding events already at their current version as one batch).
  Raw: tactica's ``SELECT`` of the stream, and a msgspec decoder chosen by the row's type
  name. eventsourcing: ``app.events.get`` (its recorder's ``select_events`` and its
  mapper per event: the same work as ``repository.get`` minus folding into an aggregate).
- "read-all": a catch-up read of every event after a checkpoint, in pages of 1,000,
  decoding every event. tactica: ``store.read_all(after=..., limit=1000)``; raw: the same
  ``SELECT`` per page; eventsourcing: ``app.notification_log.select`` and its mapper.
- "load N snap+10": load an event-sourced aggregate (`Account`) of N events whose latest
  snapshot is 10 events behind its last, so the load folds a tail of 10 (with
  ``snapshot_every=100`` a tail is anywhere from 0 to 99 events; `SNAPSHOT_TAILS` lists
  those timed, "snap+0" being a snapshot at the stream's version). tactica: a new
  ``EventSourcedRepository(Account, store, snapshots=store, snapshot_every=100)`` per call
  and its ``get`` (the snapshot read and decoded, the tail read, decoded and folded),
  against a new repository without snapshots replaying all N events: the same store, the
  same stream, so the ratio is what the snapshot saves. A new repository per call (its
  construction counted: a codec of the aggregate's declared events), so no load is
  served by the one before (its identity map). The snapshot is made before
  timing by the repository's own rule: a first load of the stream's N - 10 events folds
  100 or more, so it saves one; then 10 deposits are committed. A timed load folds fewer
  than 100, so it saves nothing. eventsourcing: ``app.repository.get`` on an application
  with a snapshot store (no aggregate cache), holding its snapshot at N - 10 (what
  ``take_snapshot`` stores; its ``snapshotting_intervals`` snapshot on saves that reach a
  multiple of the interval, so could not leave a tail of 10; the load path is the same
  either way: the latest snapshot, then the events after it). The account's state is two
  fields, so its snapshot is a few dozen bytes: a larger state costs more to decode, so
  the time here is a floor rather than a typical figure.

Loads and catch-up reads of tactica and raw go through the very same rows, so only the
code on top differs: one database with tactica's tables, filled before timing with
tactica's INSERT and documents from tactica's codec (sent with ``executemany``, which
fills 100k events in seconds; the catch-up reads the events after the loads' streams, in
streams of 1,000). eventsourcing's database holds the same streams as its aggregates.
The snapshot rows' streams are in tactica's database too (their snapshots in its
``tactica_snapshots``); eventsourcing's snapshotted aggregates have a database of their
own (a file, or a schema), with its snapshot table.
Appends go to a database per side, so no side pays for another's WAL checkpoints or index
growth.

Durability is the same on every side. SQLite: WAL and ``synchronous=FULL`` (tactica's
settings, repeated on the raw connections; eventsourcing turns WAL on and keeps SQLite's
default, which is FULL in this build: `tests/bench` checks it). PostgreSQL: the server's
settings, shared by all. On PostgreSQL each side gets a schema of its own, made for the
run (``tactica_bench_<run id>_...``) and dropped at the end with everything in it, so
nothing is left behind and no other data is read; eventsourcing uses a pool of one
connection, like the one connection of each other side.

What the sides do differently, beyond the code on top:

- tactica's PostgreSQL store keeps global reads gap-free through the writer's transaction
  id (``global_order="horizon"``, the default), with no lock on appends; eventsourcing
  takes ``LOCK TABLE ... IN EXCLUSIVE MODE`` per append and sends one pipelined
  ``INSERT ... SELECT FROM unnest(...)`` of all 10 rows; tactica and raw send one
  ``INSERT`` per event and wait for each. On SQLite eventsourcing also inserts row by row.
- The documents differ: tactica's and raw's events carry an envelope (event id,
  occurred_at, correlation and causation ids, metadata) and are decoded by msgspec;
  eventsourcing's carry a timestamp and are encoded by the standard library's ``json``.
- The raw side makes uuid4 event ids where tactica makes uuid7 (a few hundred ns apart).
- tactica's gap-free read on PostgreSQL sees only events of transactions older than every
  one still open in the whole database; if another session keeps one open through the
  filling for over 30 s, the PostgreSQL rows are skipped rather than time a short read.

DESIGN.md's budget: appends at least 0.80 of raw throughput (at most 1.25x the time per
save), loads at least 0.50 of raw (2.0x), catch-up reads at least 0.75 of raw (1.33x),
and a 10,000-event aggregate loaded in at most 10 ms with a snapshot: an absolute goal,
judged on tactica's time per load in the snapshot rows of 10,000 events (their ratio to
a full replay has no goal; the rows of 1,000 events have none). eventsourcing rows carry
no goal. PostgreSQL is reached as in `bench.uow`
(``TACTICA_BENCH_POSTGRES``); when it cannot be, its rows are printed as skipped.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Self, TypeAlias, assert_never
from uuid import UUID

import msgspec
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.micro import Case, Skipped
from bench.uow import POSTGRES, postgres_unreachable, sqlite_raw
from tactica import JsonCodec, TypeRegistry, uuid7
from tactica.dataclasses import DomainEvent, EventSourcedAggregate
from tactica.eventsourcing import EventSourcedRepository, decode_events
from tactica.ports import NewEvent
from tactica.stores.sqlite import SQLiteEventStore, create_schema

__all__ = [
    "LOAD_SIZES",
    "PAGE",
    "SAVE",
    "SNAPSHOT_BUDGET_NS",
    "SNAPSHOT_EVERY",
    "SNAPSHOT_SIZES",
    "SNAPSHOT_TAILS",
    "Account",
    "Deposited",
    "EsAccount",
    "HorizonHeldBackError",
    "Opened",
    "Sides",
    "SnapshotLoad",
    "Trio",
    "event_store_cases",
    "postgres_sides",
    "sqlite_sides",
]

SAVE = 10  # events per append
LOAD_SIZES = (1, 100, 1_000, 10_000)
PAGE = 1_000  # events per page of a catch-up read
READ_ALL_FULL = 100_000
READ_ALL_QUICK = 5_000
_SEED_CHUNK = 1_000  # events per append while filling the databases
SNAPSHOT_SIZES = (1_000, 10_000)  # events in the aggregates loaded from a snapshot
# Events stored after the snapshot, folded by every load: 10, as a load a few saves after
# the last snapshot folds. (0 adds a row per size, and seconds to the quick run's setup.)
SNAPSHOT_TAILS = (10,)
SNAPSHOT_EVERY = 100  # a load that folds this many events or more saves a snapshot

OPENED = "bench.es.opened"
DEPOSITED = "bench.es.deposited"


# tactica's side: its dataclass flavour, encoded and decoded by its codec.
class Opened(DomainEvent, name=OPENED):
    """An account was opened: the first event of every stream that is loaded."""

    owner: str


class Deposited(DomainEvent, name=DEPOSITED):
    """Money was paid in: every other event."""

    amount: int


_REGISTRY = TypeRegistry([Opened, Deposited])
AccountEvent: TypeAlias = Opened | Deposited


class Account(EventSourcedAggregate[str, AccountEvent]):
    """tactica's event-sourced account, for the snapshot rows: the fold of its events."""

    owner: str
    balance: int = 0

    @classmethod
    def open(cls, account_id: str, owner: str) -> Self:
        """Open an account for `owner`: its first event."""
        account = cls.blank(account_id)
        account.apply(Opened(owner=owner))
        return account

    def deposit(self, amount: int) -> None:
        """Pay `amount` in."""
        self.apply(Deposited(amount=amount))

    def evolve(self, event: AccountEvent) -> None:
        """Change the state for one event."""
        match event:
            case Opened(owner=owner):
                self.owner = owner
            case Deposited(amount=amount):
                self.balance += amount
            case _:
                assert_never(event)


# The raw side's events: the same fields in the same order, so both write and read the same
# JSON documents; msgspec does the work, as under tactica's codec.
@dataclass(frozen=True, kw_only=True)
class _RawOpened:
    event_id: UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=partial(datetime.now, UTC))
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    owner: str


@dataclass(frozen=True, kw_only=True)
class _RawDeposited:
    event_id: UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=partial(datetime.now, UTC))
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    amount: int


_encode = msgspec.json.Encoder().encode
_RAW_DECODERS: dict[str, Callable[[bytes], Any]] = {
    OPENED: msgspec.json.Decoder(_RawOpened).decode,
    DEPOSITED: msgspec.json.Decoder(_RawDeposited).decode,
}


# eventsourcing's side: one of its aggregates, whose decorated methods trigger its events.
class EsAccount(Aggregate):
    """An account as eventsourcing writes it: ``Opened`` on creation, then ``Deposited``."""

    @event("Opened")
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.balance = 0

    @event("Deposited")
    def deposit(self, amount: int) -> None:
        """Pay `amount` in."""
        self.balance += amount


class _EsBank(Application[UUID]):
    """An eventsourcing application whose notification log hands out pages of `PAGE`."""

    name = "TacticaBench"
    log_section_size = PAGE


class _EsSnapshottingBank(_EsBank):
    """The same application with a snapshot store, which ``repository.get`` then reads."""

    is_snapshotting_enabled = True


def _expect(side: str, count: int, expected: int) -> None:
    # A side that read less (a horizon held back by a long transaction elsewhere, a page
    # loop that stopped early) would look fast for the wrong reason.
    if count != expected:
        msg = f"{side} read {count} events where {expected} were written"
        raise RuntimeError(msg)


# --- tactica ---------------------------------------------------------------------------


def _new_event(codec: JsonCodec, domain_event: DomainEvent) -> NewEvent:
    """What an application hands the store: the registered name and version, the JSON."""
    cls = type(domain_event)
    registry = codec.registry
    return NewEvent(
        registry.name_of(cls),
        codec.encode(domain_event),
        domain_event.event_id,
        domain_event.occurred_at,
        registry.version_of(cls),
    )


class _TacticaAppender:
    """Append 10 deposits per call to one stream, at the version the last call left."""

    def __init__(self, store: Any, codec: JsonCodec, stream_id: str) -> None:
        self.store, self.codec, self.stream_id = store, codec, stream_id
        self.version = 0

    def __call__(self) -> None:
        events = [_new_event(self.codec, Deposited(amount=n)) for n in range(1, SAVE + 1)]
        self.version = self.store.append(self.stream_id, events, self.version).stream_version


def _tactica_decode(codec: JsonCodec, recorded: Sequence[Any]) -> list[Any]:
    return decode_events(codec, None, recorded)


def _tactica_load(store: Any, codec: JsonCodec, stream_id: str, expected: int) -> list[Any]:
    events = _tactica_decode(codec, store.read(stream_id))
    _expect("tactica load", len(events), expected)
    return events


def _tactica_read_all(store: Any, codec: JsonCodec, after: int, expected: int) -> int:
    count = 0
    while True:
        page = store.read_all(after=after, limit=PAGE)
        count += len(_tactica_decode(codec, page))
        if len(page) < PAGE:
            break
        after = page[-1].position
    _expect("tactica read-all", count, expected)
    return count


def _snapshotting(store: Any) -> EventSourcedRepository[Account, str]:
    # The event store keeps the snapshots too: both tactica SQL stores are snapshot stores.
    return EventSourcedRepository(Account, store, snapshots=store, snapshot_every=SNAPSHOT_EVERY)


def _tactica_snapshot_load(store: Any, account_id: str, expected: int) -> Account:
    account = _snapshotting(store).get(account_id)
    _expect("tactica snapshot load", account.version, expected)
    return account


def _tactica_replay(store: Any, account_id: str, expected: int) -> Account:
    replaying: EventSourcedRepository[Account, str] = EventSourcedRepository(Account, store)
    account = replaying.get(account_id)
    _expect("tactica full replay", account.version, expected)
    return account


def _tactica_snapshot_seed(
    stores: _Stores, codec: JsonCodec, account_id: str, size: int, tail: int
) -> None:
    """Store `size` events of `account_id` with a snapshot `tail` events behind the last.

    The first `size - tail` go in as the loads' streams do; a first load through a
    snapshotting repository folds them all (100 or more), so it saves a snapshot at that
    version; then `tail` deposits are committed through the repository.
    """
    store = stores.tactica_read
    repository = _snapshotting(store)
    stream_id = repository.stream_id(account_id)
    _seed(stores.raw_read, stores.dialect, codec, stream_id, size - tail)
    account = repository.get(account_id)
    for amount in range(size - tail, size):
        account.deposit(amount)
    repository.commit()
    snapshot = store.load_snapshot(stream_id)
    if snapshot is None or snapshot.version != size - tail:
        msg = f"{stream_id} has {snapshot!r} where a snapshot at {size - tail} was wanted"
        raise RuntimeError(msg)


# --- the raw driver --------------------------------------------------------------------

# tactica's statements, word for word (tactica.stores._sql._event_store_sync and
# _event_rows), with "?" turned into the driver's placeholder.
_COLUMNS = (
    "stream_id, stream_version, position, type_name, schema_version, event_id, payload,"
    " metadata, occurred_at, recorded_at, correlation_id, causation_id"
)
_INSERT_COLUMNS = (
    "INSERT INTO tactica_events (stream_id, stream_version, event_id, type_name,"
    " schema_version, payload, metadata, occurred_at, correlation_id, causation_id"
)
_BY_IDS = (
    f"SELECT {_COLUMNS} FROM tactica_events WHERE event_id IN ({', '.join('?' * SAVE)})"
    " ORDER BY position"
)
_CURRENT = "SELECT COALESCE(MAX(stream_version), 0) FROM tactica_events WHERE stream_id = ?"
_STREAM = (
    f"SELECT {_COLUMNS} FROM tactica_events WHERE stream_id = ? AND stream_version >= ?"
    " ORDER BY stream_version ASC"
)
_GLOBAL = f"SELECT {_COLUMNS} FROM tactica_events WHERE position > ? ORDER BY position LIMIT ?"
_VISIBLE = "transaction_id < pg_snapshot_xmin(pg_current_snapshot())"
# After a stored position in (transaction, position) order, or else after the position.
_GLOBAL_HORIZON = (
    f"SELECT {_COLUMNS} FROM ((SELECT {_COLUMNS}, transaction_id FROM tactica_events"
    " WHERE (transaction_id, position) > ((SELECT transaction_id FROM tactica_events"
    f" WHERE position = ?), ?) AND {_VISIBLE} ORDER BY transaction_id, position LIMIT ?)"
    f" UNION ALL (SELECT {_COLUMNS}, transaction_id FROM tactica_events WHERE position > ?"
    " AND NOT EXISTS (SELECT 1 FROM tactica_events WHERE position = ?)"
    f" AND {_VISIBLE} ORDER BY transaction_id, position LIMIT ?)) AS tail"
    " ORDER BY transaction_id, position LIMIT ?"
)


def _values(columns: int, rows: int) -> str:
    return ", ".join([f"({', '.join('?' * columns)})"] * rows)


@dataclass(frozen=True, slots=True)
class _Dialect:
    """The raw side's SQL and value conversions for one driver, as tactica's rows do."""

    begin: str
    insert: str
    by_ids: str
    current: str
    stream: str
    global_read: str
    seed: str
    postgres: bool

    @classmethod
    def sqlite(cls) -> _Dialect:
        # One statement for a save's rows, as tactica sends them.
        insert = f"{_INSERT_COLUMNS}, recorded_at) VALUES {_values(11, SAVE)} RETURNING position"
        seed = f"{_INSERT_COLUMNS}, recorded_at) VALUES {_values(11, 1)}"
        statements = (insert, _BY_IDS, _CURRENT, _STREAM, _GLOBAL, seed)
        return cls("BEGIN IMMEDIATE", *statements, postgres=False)

    @classmethod
    def psycopg(cls) -> _Dialect:
        insert = f"{_INSERT_COLUMNS}) VALUES {_values(10, SAVE)} RETURNING position"
        seed = f"{_INSERT_COLUMNS}) VALUES {_values(10, 1)}"
        statements = (insert, _BY_IDS, _CURRENT, _STREAM, _GLOBAL_HORIZON, seed)
        return cls("BEGIN", *(sql.replace("?", "%s") for sql in statements), postgres=True)

    def event_id(self, value: UUID) -> object:
        # SQLite stores UUIDs and times as text; psycopg adapts the objects themselves.
        return value if self.postgres else str(value)

    def row(
        self,
        stream_id: str,
        version: int,
        raw: Any,
        payload: bytes,
        now: datetime,
        *,
        type_name: str = DEPOSITED,
    ) -> tuple[object, ...]:
        """Return the INSERT's parameters for one event, converted as tactica converts."""
        if self.postgres:
            occurred_at: object = raw.occurred_at
            event_id: object = raw.event_id
        else:
            occurred_at, event_id = raw.occurred_at.isoformat(), str(raw.event_id)
        row = (stream_id, version, event_id, type_name, 1, payload, b"{}", occurred_at, None, None)
        return row if self.postgres else (*row, now.isoformat())

    def page(self, after: int) -> tuple[int, ...]:
        # The horizon read looks the checkpoint's transaction id up by its position.
        if not self.postgres:
            return (after, PAGE)
        return (after, after, PAGE, after, after, PAGE, PAGE)


_SQLITE = _Dialect.sqlite()
_PSYCOPG = _Dialect.psycopg()


def _raw_checks(stream_id: str, stored: list[Any], current: int, expected: int) -> None:
    # The checks tactica makes before it inserts: none of the ids stored before (else a
    # retry, or a reused id), and the stream at the version the caller expects.
    if stored:
        msg = "an event id of the raw benchmark is stored already"
        raise RuntimeError(msg)
    if current != expected:
        msg = f"{stream_id} is at version {current}, not {expected}"
        raise RuntimeError(msg)


class _RawAppender:
    """The same append with the bare driver: checks, inserts and commit, in tactica's order."""

    def __init__(self, connection: Any, dialect: _Dialect, stream_id: str) -> None:
        self.connection, self.dialect, self.stream_id = connection, dialect, stream_id
        self.version = 0

    def __call__(self) -> None:
        events = [_RawDeposited(amount=n) for n in range(1, SAVE + 1)]
        payloads = [_encode(raw) for raw in events]
        connection, dialect, stream_id = self.connection, self.dialect, self.stream_id
        connection.execute(dialect.begin)
        try:
            now = datetime.now(UTC)
            ids = [dialect.event_id(raw.event_id) for raw in events]
            stored = connection.execute(dialect.by_ids, ids).fetchall()
            (current,) = connection.execute(dialect.current, (stream_id,)).fetchone()
            _raw_checks(stream_id, stored, current, self.version)
            values = [
                value
                for offset, (raw, payload) in enumerate(zip(events, payloads, strict=True), 1)
                for value in dialect.row(stream_id, current + offset, raw, payload, now)
            ]
            connection.execute(dialect.insert, values).fetchall()
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        self.version = current + SAVE


def _raw_decode(rows: list[Any]) -> list[Any]:
    decoders = _RAW_DECODERS
    return [decoders[row[3]](row[6]) for row in rows]


def _raw_load(connection: Any, dialect: _Dialect, stream_id: str, expected: int) -> list[Any]:
    events = _raw_decode(connection.execute(dialect.stream, (stream_id, 1)).fetchall())
    _expect("raw load", len(events), expected)
    return events


def _raw_read_all(connection: Any, dialect: _Dialect, after: int, expected: int) -> int:
    count = 0
    while True:
        rows = connection.execute(dialect.global_read, dialect.page(after)).fetchall()
        count += len(_raw_decode(rows))
        if len(rows) < PAGE:
            break
        after = rows[-1][2]
    _expect("raw read-all", count, expected)
    return count


def _seed(connection: Any, dialect: _Dialect, codec: JsonCodec, stream_id: str, count: int) -> None:
    """Write a stream of `count` events (one "opened", then deposits) in one transaction.

    tactica's codec writes the documents and the rows are tactica's INSERT, values
    converted as tactica converts them; the driver's ``executemany`` sends them without
    waiting for each (pipelined on PostgreSQL), which fills 100k events in seconds.
    """
    events: list[DomainEvent] = [Opened(owner="Ada")]
    events.extend(Deposited(amount=n) for n in range(1, count))
    now = datetime.now(UTC)
    registry = codec.registry
    rows = [
        dialect.row(
            stream_id, version, e, codec.encode(e), now, type_name=registry.name_of(type(e))
        )
        for version, e in enumerate(events, 1)
    ]
    connection.execute(dialect.begin)
    try:
        connection.cursor().executemany(dialect.seed, rows)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


# --- eventsourcing ---------------------------------------------------------------------


class _EsAppender:
    """Trigger 10 deposits on one aggregate kept in memory, then save them in one go."""

    def __init__(self, app: _EsBank) -> None:
        self.app = app
        self.account = EsAccount(owner="Ada")
        app.save(self.account)

    def __call__(self) -> None:
        account = self.account
        for n in range(1, SAVE + 1):
            account.deposit(n)
        self.app.save(account)


def _es_load(app: _EsBank, account_id: UUID, expected: int) -> list[Any]:
    events = list(app.events.get(account_id))
    _expect("eventsourcing load", len(events), expected)
    return events


def _es_read_all(app: _EsBank, after: int, expected: int) -> int:
    log, to_domain_event = app.notification_log, app.mapper.to_domain_event
    count = 0
    while True:
        page = log.select(after, PAGE, inclusive_of_start=False)
        count += len([to_domain_event(notification) for notification in page])
        if len(page) < PAGE:
            break
        after = page[-1].id
    _expect("eventsourcing read-all", count, expected)
    return count


def _es_seed(app: _EsBank, count: int) -> UUID:
    account = EsAccount(owner="Ada")
    for n in range(1, count):
        account.deposit(n)
    app.save(account)
    return account.id


def _es_snapshot_load(app: _EsBank, account_id: UUID, expected: int) -> EsAccount:
    account: EsAccount = app.repository.get(account_id)
    _expect("eventsourcing snapshot load", account.version, expected)
    return account


def _es_snapshot_seed(app: _EsBank, size: int, tail: int) -> UUID:
    """Save an aggregate of `size` events with its snapshot `tail` events behind the last."""
    account = EsAccount(owner="Ada")
    for amount in range(1, size - tail):
        account.deposit(amount)
    app.save(account)
    # What ``app.take_snapshot`` stores, taken from the aggregate just saved rather than
    # from a replay of its events (which would add seconds to the setup).
    snapshots = app.snapshots
    if snapshots is None:
        msg = f"{type(app).__name__} has no snapshot store"
        raise RuntimeError(msg)
    snapshots.put([EsAccount.Snapshot.take(account)])
    for amount in range(size - tail, size):
        account.deposit(amount)
    app.save(account)
    latest = list(snapshots.get(account.id, desc=True, limit=1))
    if [snapshot.originator_version for snapshot in latest] != [size - tail]:
        msg = f"eventsourcing's snapshot of {account.id} is not at version {size - tail}"
        raise RuntimeError(msg)
    return account.id


# --- the three sides on one database ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trio:
    """One piece of work done by each side."""

    tactica: Callable[[], object]
    raw: Callable[[], object]
    eventsourcing: Callable[[], object]

    @property
    def compared(self) -> tuple[Callable[[], object], ...]:
        """The subject, its baseline with a goal, and eventsourcing."""
        return self.tactica, self.raw, self.eventsourcing


@dataclass(frozen=True, slots=True)
class SnapshotLoad:
    """One aggregate loaded from its snapshot, by a full replay, and by eventsourcing."""

    snapshot: Callable[[], object]
    replay: Callable[[], object]
    eventsourcing: Callable[[], object]

    @property
    def compared(self) -> tuple[Callable[[], object], ...]:
        """The subject, its baseline (a full replay), and eventsourcing."""
        return self.snapshot, self.replay, self.eventsourcing


@dataclass(frozen=True, slots=True)
class Sides:
    """Everything timed on one database: appends, loads, the catch-up read, snapshots."""

    append: Trio
    loads: dict[int, Trio]
    read_all: Trio
    read_all_events: int
    # By (events, events after the snapshot).
    snapshot_loads: dict[tuple[int, int], SnapshotLoad]
    # PostgreSQL only: the schemas made for this run, dropped when its resources close.
    schemas: tuple[str, ...] = ()


@dataclass(slots=True)
class _Stores:
    """What `_sides` needs per database: the stores, connections and apps of each side."""

    tactica_append: Any
    tactica_read: Any
    raw_append: Any
    raw_read: Any
    dialect: _Dialect
    es_append: _EsBank
    es_read: _EsBank
    es_snapshots: _EsBank


def _sides(
    stores: _Stores, sizes: Sequence[int], read_all_events: int, snapshot_sizes: Sequence[int]
) -> Sides:
    codec = JsonCodec(_REGISTRY)
    run = uuid7().hex
    append = Trio(
        _TacticaAppender(stores.tactica_append, codec, f"append-{run}"),
        _RawAppender(stores.raw_append, stores.dialect, f"append-{run}"),
        _EsAppender(stores.es_append),
    )

    # Loads: one stream per size in tactica's tables (read by tactica and raw alike), and
    # one aggregate per size in eventsourcing's database.
    loads: dict[int, Trio] = {}
    for size in sizes:
        stream_id = f"load-{size}-{run}"
        _seed(stores.raw_read, stores.dialect, codec, stream_id, size)
        account_id = _es_seed(stores.es_read, size)
        loads[size] = Trio(
            partial(_tactica_load, stores.tactica_read, codec, stream_id, size),
            partial(_raw_load, stores.raw_read, stores.dialect, stream_id, size),
            partial(_es_load, stores.es_read, account_id, size),
        )

    # Snapshot loads: one aggregate per size and tail in tactica's tables (read with and
    # without snapshots), and one in eventsourcing's database with a snapshot store.
    snapshot_loads: dict[tuple[int, int], SnapshotLoad] = {}
    for size in snapshot_sizes:
        for tail in SNAPSHOT_TAILS:
            account = f"snap-{size}+{tail}-{run}"
            store = stores.tactica_read
            _tactica_snapshot_seed(stores, codec, account, size, tail)
            es_account = _es_snapshot_seed(stores.es_snapshots, size, tail)
            snapshot_loads[size, tail] = SnapshotLoad(
                partial(_tactica_snapshot_load, store, account, size),
                partial(_tactica_replay, store, account, size),
                partial(_es_snapshot_load, stores.es_snapshots, es_account, size),
            )

    # The catch-up read starts after the loads' events: `read_all_events` more, in
    # streams (and aggregates) of `_SEED_CHUNK` events.
    (after,) = stores.raw_read.execute(
        "SELECT COALESCE(MAX(position), 0) FROM tactica_events"
    ).fetchone()
    es_after = stores.es_read.recorder.max_notification_id() or 0
    for start in range(0, read_all_events, _SEED_CHUNK):
        size = min(_SEED_CHUNK, read_all_events - start)
        _seed(stores.raw_read, stores.dialect, codec, f"catch-up-{start}-{run}", size)
        _es_seed(stores.es_read, size)
    read_all = Trio(
        partial(_tactica_read_all, stores.tactica_read, codec, after, read_all_events),
        partial(_raw_read_all, stores.raw_read, stores.dialect, after, read_all_events),
        partial(_es_read_all, stores.es_read, es_after, read_all_events),
    )
    return Sides(append, loads, read_all, read_all_events, snapshot_loads)


def sqlite_sides(
    directory: Path,
    resources: ExitStack,
    *,
    sizes: Sequence[int] = LOAD_SIZES,
    read_all_events: int = READ_ALL_FULL,
    snapshot_sizes: Sequence[int] = SNAPSHOT_SIZES,
) -> Sides:
    """Make every side's files in `directory`; `resources` closes them."""

    def tactica_store(name: str) -> SQLiteEventStore:
        store = SQLiteEventStore(directory / name)
        resources.callback(store.close)
        create_schema(store.connection)
        return store

    def raw_connection(path: Path) -> Any:
        connection = sqlite_raw(path)
        resources.callback(connection.close)
        return connection

    def es_app(name: str, kind: type[_EsBank] = _EsBank) -> _EsBank:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(directory / name)}
        app = kind(env=env)
        resources.callback(app.close)
        return app

    tactica_read = tactica_store("tactica.db")
    # The raw side appends to a file of its own, with tactica's tables.
    tactica_store("raw-append.db").close()
    stores = _Stores(
        tactica_append=tactica_store("tactica-append.db"),
        tactica_read=tactica_read,
        raw_append=raw_connection(directory / "raw-append.db"),
        raw_read=raw_connection(directory / "tactica.db"),
        dialect=_SQLITE,
        es_append=es_app("eventsourcing-append.db"),
        es_read=es_app("eventsourcing.db"),
        es_snapshots=es_app("eventsourcing-snapshots.db", _EsSnapshottingBank),
    )
    return _sides(stores, sizes, read_all_events, snapshot_sizes)


def _in_schema(conninfo: str, schema: str) -> str:
    """`conninfo`, with `schema` first on the search path (tactica's SQL names no schema)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    options = str(conninfo_to_dict(conninfo).get("options") or "")
    return make_conninfo(conninfo, options=f"{options} -c search_path={schema}".strip())


class HorizonHeldBackError(RuntimeError):
    """Another session kept a transaction open, so the seeded events stay unreadable."""


def _wait_for_horizon(connection: Any, timeout: float = 30.0) -> None:
    """Wait until every event written so far is below the snapshot horizon.

    tactica's gap-free global read on PostgreSQL returns only events of transactions older
    than every one still running, anywhere in the database. Another session's transaction
    that began before the seeding and is still open would hide the seeded events; the
    catch-up rows would then time an almost empty read, so wait for it to end (or fail).
    """
    import time

    deadline = time.monotonic() + timeout
    query = (
        "SELECT COALESCE(MAX(transaction_id) < pg_snapshot_xmin(pg_current_snapshot()), true)"
        " FROM tactica_events"
    )
    while not connection.execute(query).fetchone()[0]:
        if time.monotonic() > deadline:
            msg = (
                f"another session's transaction stayed open for over {timeout:.0f} s, "
                "holding the seeded events above the read horizon"
            )
            raise HorizonHeldBackError(msg)
        time.sleep(0.1)


def postgres_sides(
    conninfo: str,
    resources: ExitStack,
    *,
    sizes: Sequence[int] = LOAD_SIZES,
    read_all_events: int = READ_ALL_FULL,
    snapshot_sizes: Sequence[int] = SNAPSHOT_SIZES,
) -> Sides:
    """Give every side a schema of its own for this run; `resources` drops them at the end."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    from tactica.stores.postgres import PostgresConnection, PostgresEventStore
    from tactica.stores.postgres import create_schema as create_postgres_schema

    run = uuid7().hex
    admin = psycopg.connect(conninfo, autocommit=True)
    resources.callback(admin.close)
    schemas: list[str] = []

    def schema(purpose: str) -> str:
        # Dropped after everything opened later is closed (`resources` unwinds in reverse).
        name = f"tactica_bench_{run}_{purpose}"
        schemas.append(name)
        identifier = sql.Identifier(name)
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(identifier))
        drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(identifier)
        resources.callback(admin.execute, drop)
        return name

    def tactica_store(name: str) -> PostgresEventStore:
        setup = PostgresConnection(_in_schema(conninfo, name))
        try:
            create_postgres_schema(setup)
        finally:
            setup.close()
        store = PostgresEventStore(_in_schema(conninfo, name))
        resources.callback(store.close)
        return store

    def raw_connection(name: str) -> Any:
        connection = psycopg.connect(_in_schema(conninfo, name), autocommit=True)
        resources.callback(connection.close)
        return connection

    parts = conninfo_to_dict(conninfo)

    def es_app(name: str, kind: type[_EsBank] = _EsBank) -> _EsBank:
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(parts.get("dbname", "")),
            "POSTGRES_HOST": str(parts.get("host", "localhost")),
            "POSTGRES_PORT": str(parts.get("port", "5432")),
            "POSTGRES_USER": str(parts.get("user", "")),
            "POSTGRES_PASSWORD": str(parts.get("password", "")),
            "POSTGRES_SCHEMA": name,
            # One connection, like every other side (its default pool opens five).
            "POSTGRES_POOL_SIZE": "1",
        }
        app = kind(env=env)
        resources.callback(app.close)
        return app

    read = schema("read")
    raw_append = schema("raw_append")
    tactica_store(raw_append).close()
    stores = _Stores(
        tactica_append=tactica_store(schema("append")),
        tactica_read=tactica_store(read),
        raw_append=raw_connection(raw_append),
        raw_read=raw_connection(read),
        dialect=_PSYCOPG,
        es_append=es_app(schema("es_append")),
        es_read=es_app(schema("es_read")),
        es_snapshots=es_app(schema("es_snapshots"), _EsSnapshottingBank),
    )
    sides = _sides(stores, sizes, read_all_events, snapshot_sizes)
    _wait_for_horizon(stores.raw_read)
    return replace(sides, schemas=tuple(schemas))


# --- the rows --------------------------------------------------------------------------

# Goals from DESIGN.md's performance budget, as time ratios tactica / raw.
APPEND_GOAL = 1 / 0.80
LOAD_GOAL = 1 / 0.50
READ_ALL_GOAL = 1 / 0.75
# And one as a time: "load a 10,000-event aggregate: <= 10 ms with a snapshot".
SNAPSHOT_BUDGET_NS = 10_000_000
_SNAPSHOT_BUDGET_EVENTS = 10_000

# An append or a load takes from tens of microseconds to tens of milliseconds (a commit
# and its fsync), so these rows get batches five times as long as the in-memory ones.
_BATCH_SCALE = 5.0
# A catch-up read of 100k events takes most of a second per side, a load of 10,000 a tenth
# of one: at most five batches of those (one in quick mode, which only proves they run).
_SLOW_REPEATS = 5
_SLOW_LOAD = 10_000


@dataclass(frozen=True, slots=True)
class _Plan:
    """How much each kind of row reads, and how many batches the slowest get."""

    sizes: Sequence[int]
    read_all_events: int
    snapshot_sizes: Sequence[int]
    slow_repeats: int


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    raw_label: str
    es_label: str
    goal: float | None
    per_call: int
    work: Callable[[Sides], Trio | SnapshotLoad]
    batch_scale: float = _BATCH_SCALE
    max_repeats: int | None = None
    unit: str | None = "event"
    call: str | None = None
    budget_ns: float | None = None


def _count(events: int) -> str:
    # "100k", "5k": the catch-up rows' names say how many events they read.
    return f"{events // 1000}k" if events >= 1000 and events % 1000 == 0 else f"{events:,}"


def _rows(database: str, driver: str, plan: _Plan) -> Iterator[_Row]:
    yield _Row(
        f"append {SAVE}, {database}",
        f"{driver}, same SQL",
        "eventsourcing Application.save",
        APPEND_GOAL,
        SAVE,
        lambda sides: sides.append,
    )
    for size in plan.sizes:
        yield _Row(
            f"load {size:,}, {database}",
            f"{driver} + msgspec, same SQL",
            "eventsourcing events.get",
            LOAD_GOAL,
            size,
            lambda sides, size=size: sides.loads[size],
            max_repeats=plan.slow_repeats if size >= _SLOW_LOAD else None,
        )
    for size in plan.snapshot_sizes:
        for tail in SNAPSHOT_TAILS:
            # A rate of events would count events a snapshot load never reads: these rows
            # say how long a load takes instead.
            yield _Row(
                f"load {size:,} snap+{tail}, {database}",
                "full replay, no snapshots",
                "eventsourcing repository.get",
                None,
                1,
                lambda sides, key=(size, tail): sides.snapshot_loads[key],
                max_repeats=plan.slow_repeats if size >= _SLOW_LOAD else None,
                unit=None,
                call="load",
                budget_ns=SNAPSHOT_BUDGET_NS if size >= _SNAPSHOT_BUDGET_EVENTS else None,
            )
    yield _Row(
        f"read-all {_count(plan.read_all_events)}, {database}",
        f"{driver} + msgspec, same SQL",
        "eventsourcing notification_log",
        READ_ALL_GOAL,
        plan.read_all_events,
        lambda sides: sides.read_all,
        batch_scale=1.0,
        max_repeats=plan.slow_repeats,
    )


def _cases(rows: Iterator[_Row], sides: Sides) -> Iterator[Case]:
    for row in rows:
        subject, baseline, peer = row.work(sides).compared
        shared = {
            "unit": row.unit,
            "call": row.call,
            "per_call": row.per_call,
            "batch_scale": row.batch_scale,
            "max_repeats": row.max_repeats,
        }
        # Goals, a ratio or a time, are judged once: on the row against the first baseline.
        yield Case(
            row.name, subject, row.raw_label, baseline, row.goal, budget_ns=row.budget_ns, **shared
        )
        yield Case(row.name, subject, row.es_label, peer, None, **shared)


def _skipped(rows: Iterator[_Row], reason: str) -> Iterator[Skipped]:
    for row in rows:
        yield Skipped(row.name, row.raw_label, reason)
        yield Skipped(row.name, row.es_label, reason)


def event_store_cases(
    resources: ExitStack,
    *,
    quick: bool = False,
    postgres: str = POSTGRES,
    sizes: Sequence[int] = LOAD_SIZES,
    snapshot_sizes: Sequence[int] = SNAPSHOT_SIZES,
) -> Iterator[Case | Skipped]:
    """Yield the SQLite rows, then the PostgreSQL rows or, without a server, skipped ones.

    Quick mode reads `READ_ALL_QUICK` events in the catch-up rows instead of
    `READ_ALL_FULL`; the row's name says which.
    """
    plan = _Plan(
        sizes,
        READ_ALL_QUICK if quick else READ_ALL_FULL,
        snapshot_sizes,
        1 if quick else _SLOW_REPEATS,
    )
    directory = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="tactica-bench-")))
    sides = sqlite_sides(
        directory,
        resources,
        sizes=sizes,
        read_all_events=plan.read_all_events,
        snapshot_sizes=snapshot_sizes,
    )
    yield from _cases(_rows("SQLite", "sqlite3", plan), sides)
    rows = _rows("PostgreSQL", "psycopg", plan)
    reason = postgres_unreachable(postgres)
    if reason is not None:
        yield from _skipped(rows, reason)
        return
    try:
        sides = postgres_sides(
            postgres,
            resources,
            sizes=sizes,
            read_all_events=plan.read_all_events,
            snapshot_sizes=snapshot_sizes,
        )
    except HorizonHeldBackError as error:
        yield from _skipped(rows, str(error))
        return
    yield from _cases(rows, sides)
