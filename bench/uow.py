"""Unit-of-work commits against the raw driver doing the same SQL work, on SQLite and PostgreSQL.

One commit, on both sides: read one account row (``SELECT``), decode it, add 1 to its
balance, record a ``Deposited`` integration event, then in one transaction write the row
back checked against the version read (``UPDATE ... WHERE version = ?``) and the event to
the outbox (``INSERT``), and ``COMMIT``. The raw side runs tactica's own statements, in
tactica's order (the read before ``BEGIN``, as an optimistic unit of work does), through the
bare driver, and encodes and decodes the same JSON documents with msgspec, which is what
tactica's codec sits on. It uses ``uuid.uuid4`` for the event id where tactica uses uuid7
(the "uuid7" row compares the two: under a microsecond apart, against commits of hundreds).

Durability is the same on both sides: SQLite files in WAL mode with ``synchronous=FULL``
(tactica's connection settings, repeated on the raw connection), and on PostgreSQL the
server's own settings, shared by both. Each side has its own SQLite file, so neither pays
for the other's WAL checkpoints; on PostgreSQL each has its own row in tactica's tables,
and this run's rows are deleted at the end.

Two rows per database:

- "uow commit": the unit of work borrows one connection kept open for the whole run, like
  the raw side's one connection, so the ratio is what tactica adds per commit (change
  tracking, encoding, the outbox message). It is built on ``SQLUnitOfWork``, which takes
  a connection you hold (the base the SQLite and PostgreSQL ones share).
- "uow + connect": the unit of work as the public API builds it (``SQLiteUnitOfWork(path)``,
  ``PostgresUnitOfWork(conninfo)``), which opens its own connection and closes it when left;
  the raw side opens and closes a connection per commit too, with the same settings.

DESIGN.md's budget has no unit-of-work line, so these rows set no goal; the nearest is the
event store's appends, at least 0.80 of raw throughput (at most 1.25x the time per write).
PostgreSQL is ``host=127.0.0.1 port=5432 dbname=test user=postgres`` unless
``TACTICA_BENCH_POSTGRES`` holds another libpq connection string; when it cannot be reached
its rows are printed as skipped.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec

from bench.micro import Case, Skipped
from tactica import uuid7
from tactica.dataclasses import AggregateRoot, DomainEvent
from tactica.stores.sql import SQLUnitOfWork
from tactica.stores.sqlite import SQLiteConnection, SQLiteUnitOfWork, create_schema

__all__ = [
    "ACCOUNT_TYPE",
    "EVENT_TYPE",
    "POSTGRES",
    "Account",
    "Deposited",
    "Sides",
    "postgres_sides",
    "postgres_unreachable",
    "raw_deposit",
    "raw_seed",
    "sqlite_raw",
    "sqlite_sides",
    "uow_cases",
]

POSTGRES = os.environ.get(
    "TACTICA_BENCH_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)

ACCOUNT_TYPE = "bench.uow.account"
EVENT_TYPE = "bench.uow.deposited"


class Deposited(DomainEvent, name=EVENT_TYPE, integration=True):
    """Money was paid into an account; an integration event, so each commit writes the outbox."""

    account_id: str
    amount: int


class Account(AggregateRoot[str]):
    """The aggregate each commit loads and changes (tactica.testing's sample, minus cards)."""

    owner: str
    balance: int = 0

    def deposit(self, amount: int) -> None:
        """Pay `amount` in and record it."""
        self.balance += amount
        self.record(Deposited(account_id=self.id, amount=amount))


# The raw side's documents: the same fields in the same order as tactica's, so both sides
# decode and encode the same JSON.
@dataclass(kw_only=True)
class _RawAccount:
    id: str
    version: int
    owner: str
    balance: int = 0


@dataclass(frozen=True, kw_only=True)
class _RawDeposited:
    event_id: UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=partial(datetime.now, UTC))
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    account_id: str
    amount: int


_encode = msgspec.json.Encoder().encode
_decode_account = msgspec.json.Decoder(_RawAccount).decode

# tactica's statements, word for word (tactica.stores._sql and tactica.uow._sql_*).
_SELECT = (
    "SELECT version, state FROM tactica_aggregates WHERE aggregate_type = ? AND aggregate_id = ?"
)
_UPDATE = (
    "UPDATE tactica_aggregates SET version = ?, state = ? "
    "WHERE aggregate_type = ? AND aggregate_id = ? AND version = ?"
)
_INSERT_ACCOUNT = (
    "INSERT INTO tactica_aggregates (aggregate_type, aggregate_id, version, state)"
    " VALUES (?, ?, ?, ?)"
)
_INSERT_OUTBOX = (
    "INSERT INTO tactica_outbox (message_id, type_name, schema_version, payload, occurred_at,"
    " correlation_id, causation_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class _Dialect:
    """The raw side's SQL for one driver: placeholders and how a write transaction starts."""

    begin: str
    select: str
    update: str
    insert_account: str
    insert_outbox: str

    @classmethod
    def of(cls, begin: str, placeholder: str) -> _Dialect:
        statements = (_SELECT, _UPDATE, _INSERT_ACCOUNT, _INSERT_OUTBOX)
        return cls(begin, *(sql.replace("?", placeholder) for sql in statements))


_SQLITE = _Dialect.of("BEGIN IMMEDIATE", "?")
_PSYCOPG = _Dialect.of("BEGIN", "%s")


def _expect_one(changed: int, account_id: str, version: int) -> None:
    # The raw side's optimistic check, as tactica's repository makes it.
    if changed != 1:
        msg = f"{account_id} changed under the raw benchmark (version {version})"
        raise RuntimeError(msg)


def _raw_commit(connection: Any, dialect: _Dialect, account_id: str) -> None:
    """One deposit with the bare driver: read, decode, change, then write both rows at once."""
    key = (ACCOUNT_TYPE, account_id)
    version, state = connection.execute(dialect.select, key).fetchone()
    account = _decode_account(state)
    account.version = version
    account.balance += 1
    event = _RawDeposited(account_id=account_id, amount=1)
    connection.execute(dialect.begin)
    try:
        changed = connection.execute(
            dialect.update, (version + 1, _encode(account), *key, version)
        ).rowcount
        _expect_one(changed, account_id, version)
        connection.execute(
            dialect.insert_outbox,
            (
                str(event.event_id),
                EVENT_TYPE,
                1,
                _encode(event),
                event.occurred_at.isoformat(),
                None,
                None,
            ),
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _raw_connect_commit(
    open_connection: Callable[[], Any], dialect: _Dialect, account_id: str
) -> None:
    connection = open_connection()
    try:
        _raw_commit(connection, dialect, account_id)
    finally:
        connection.close()


def _raw_seed(connection: Any, dialect: _Dialect, account_id: str) -> None:
    account = _RawAccount(id=account_id, version=0, owner="Ada")
    connection.execute(dialect.insert_account, (ACCOUNT_TYPE, account_id, 1, _encode(account)))


_DIALECTS = {"sqlite": _SQLITE, "postgres": _PSYCOPG}


def raw_deposit(connection: Any, database: str, account_id: str) -> None:
    """One deposit with the bare driver of `database` ("sqlite" or "postgres"), one transaction."""
    _raw_commit(connection, _DIALECTS[database], account_id)


def raw_seed(connection: Any, database: str, account_id: str) -> None:
    """Insert the account the raw deposits change, as tactica stores it."""
    _raw_seed(connection, _DIALECTS[database], account_id)


class _Bank(SQLUnitOfWork):
    """A unit of work with one repository of accounts, on whatever connection it is given."""

    def __init__(self, connection: Any) -> None:
        super().__init__(connection)
        self.accounts = self.repository(Account, type_name=ACCOUNT_TYPE)


class _SQLiteBank(SQLiteUnitOfWork):
    """The same unit of work as the public API builds it: it opens its own connection."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.accounts = self.repository(Account, type_name=ACCOUNT_TYPE)


def _deposit(new_unit: Callable[[], Any], account_id: str) -> None:
    """One deposit through a fresh unit of work: load, change, commit (outbox included)."""
    with new_unit() as uow:
        uow.accounts.get(account_id).deposit(1)
        uow.commit()


def _seed(new_unit: Callable[[], Any], account_id: str) -> None:
    with new_unit() as uow:
        uow.accounts.add(Account(id=account_id, owner="Ada"))
        uow.commit()


class _KeptSQLite(SQLiteConnection):
    """A connection a unit of work borrows: leaving the unit does not close it."""

    __slots__ = ()

    def close(self) -> None:
        """Keep the connection open for the next unit; `release` closes it."""

    def release(self) -> None:
        """Close the connection for good."""
        super().close()


def sqlite_raw(path: Path) -> sqlite3.Connection:
    """Open `path` with the bare driver and tactica's settings (WAL, synchronous=FULL)."""
    # tactica's connection settings (tactica.stores.sqlite._connection), repeated here so
    # both sides make the same durability promise.
    raw = sqlite3.connect(path, isolation_level=None, timeout=60.0)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    return raw


@dataclass(frozen=True, slots=True)
class Sides:
    """One commit each way: on a kept-open connection, and opening a connection per commit."""

    account_ids: tuple[str, str]  # tactica's account, the raw side's
    tactica: Callable[[], None]
    raw: Callable[[], None]
    tactica_connecting: Callable[[], None]
    raw_connecting: Callable[[], None]


def sqlite_sides(directory: Path, resources: ExitStack) -> Sides:
    """Make both sides' files in `directory`, each with tactica's schema and one account."""
    ours, theirs = directory / "tactica.db", directory / "raw.db"
    for path in (ours, theirs):
        setup = SQLiteConnection(path)
        try:
            create_schema(setup)
        finally:
            setup.close()
    account_id = "account-1"

    kept = _KeptSQLite(ours)
    resources.callback(kept.release)
    shared = partial(_Bank, kept)
    _seed(shared, account_id)
    raw = sqlite_raw(theirs)
    resources.callback(raw.close)
    _raw_seed(raw, _SQLITE, account_id)

    return Sides(
        account_ids=(account_id, account_id),
        tactica=partial(_deposit, shared, account_id),
        raw=partial(_raw_commit, raw, _SQLITE, account_id),
        tactica_connecting=partial(_deposit, partial(_SQLiteBank, ours), account_id),
        raw_connecting=partial(
            _raw_connect_commit, partial(sqlite_raw, theirs), _SQLITE, account_id
        ),
    )


def postgres_sides(conninfo: str, resources: ExitStack) -> Sides:
    """Give both sides a fresh account row in tactica's tables; delete this run's rows after."""
    import psycopg

    from tactica.stores.postgres import PostgresConnection, PostgresUnitOfWork
    from tactica.stores.postgres import create_schema as create_postgres_schema

    class KeptPostgres(PostgresConnection):
        """A connection a unit of work borrows: leaving the unit does not close it."""

        __slots__ = ()

        def close(self) -> None:
            """Keep the connection open for the next unit; `release` closes it."""

        def release(self) -> None:
            """Close the connection for good."""
            super().close()

    class PostgresBank(PostgresUnitOfWork):
        """The unit of work as the public API builds it: it opens its own connection."""

        def __init__(self, conninfo: str) -> None:
            super().__init__(conninfo)
            self.accounts = self.repository(Account, type_name=ACCOUNT_TYPE)

    # Ids of this run only, so that runs side by side (a smoke test during `make bench`)
    # never touch each other's rows.
    run = uuid7().hex
    ours, theirs = f"tactica-{run}", f"raw-{run}"

    kept = KeptPostgres(conninfo)
    resources.callback(kept.release)
    create_postgres_schema(kept)

    def delete_rows() -> None:
        kept.execute(
            "DELETE FROM tactica_aggregates WHERE aggregate_type = ? AND aggregate_id IN (?, ?)",
            (ACCOUNT_TYPE, ours, theirs),
        )
        kept.execute(
            "DELETE FROM tactica_outbox WHERE type_name = ? "
            "AND convert_from(payload, 'UTF8')::jsonb ->> 'account_id' IN (?, ?)",
            (EVENT_TYPE, ours, theirs),
        )

    resources.callback(delete_rows)
    shared = partial(_Bank, kept)
    _seed(shared, ours)
    open_raw = partial(psycopg.connect, conninfo, autocommit=True)
    raw = open_raw()
    resources.callback(raw.close)
    _raw_seed(raw, _PSYCOPG, theirs)

    return Sides(
        account_ids=(ours, theirs),
        tactica=partial(_deposit, shared, ours),
        raw=partial(_raw_commit, raw, _PSYCOPG, theirs),
        tactica_connecting=partial(_deposit, partial(PostgresBank, conninfo), ours),
        raw_connecting=partial(_raw_connect_commit, open_raw, _PSYCOPG, theirs),
    )


# A commit takes from a few hundred microseconds to several milliseconds, so these rows
# get batches five times as long as the in-memory ones.
_BATCH_SCALE = 5.0


def _cases(database: str, driver: str, sides: Sides) -> Iterator[Case]:
    yield Case(
        f"uow commit, {database}",
        sides.tactica,
        f"{driver}, one connection",
        sides.raw,
        None,
        unit="commit",
        batch_scale=_BATCH_SCALE,
    )
    yield Case(
        f"uow + connect, {database}",
        sides.tactica_connecting,
        f"{driver}, connect per commit",
        sides.raw_connecting,
        None,
        unit="commit",
        batch_scale=_BATCH_SCALE,
    )


def postgres_unreachable(conninfo: str) -> str | None:
    """Say why PostgreSQL cannot be used here, or return None if it can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (extra: postgres)"
    try:
        with psycopg.connect(conninfo, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        return f"PostgreSQL unreachable ({conninfo}): {first_line}"


def uow_cases(resources: ExitStack, *, postgres: str = POSTGRES) -> Iterator[Case | Skipped]:
    """Yield the SQLite rows, then the PostgreSQL rows or, without a server, skipped ones."""
    directory = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="tactica-bench-")))
    yield from _cases("SQLite", "sqlite3", sqlite_sides(directory, resources))
    reason = postgres_unreachable(postgres)
    if reason is not None:
        yield Skipped("uow commit, PostgreSQL", "psycopg, one connection", reason)
        yield Skipped("uow + connect, PostgreSQL", "psycopg, connect per commit", reason)
        return
    yield from _cases("PostgreSQL", "psycopg", postgres_sides(postgres, resources))
