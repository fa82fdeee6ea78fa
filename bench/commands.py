"""Command throughput: commands through the bus and a unit of work, against the raw driver.

One command, on tactica's side: `MessageBus.dispatch` of a ``Deposit`` command whose handler
opens the unit of work the bus made for it, loads one account, deposits 1 (which records a
``Deposited`` integration event) and commits: the row checked against the version read, and
the event to the outbox, in one transaction. The raw side does the same writes with the bare
driver, one transaction per command, on one connection it keeps (bench.uow's raw deposit:
tactica's own statements, msgspec for the JSON). So the ratio is everything tactica adds to
a command: the bus, the unit of work and its connection handling, the repository, the codec.

Two rows per database, both against that raw side:

- "bus + uow": units of work made on a `SQLiteDatabase` / `PostgresDatabase`, which keep
  their connections (a psycopg_pool pool on PostgreSQL): the recommended way.
- "bus + uow + connect": units of work made on a path / connection string, which open a
  connection per command and close it when left (the old way, still supported). Shown for
  the cost of that connection; no goal applies to it.

The goal is at least 0.6 of the raw driver's commands per second. The table's ratios are
tactica / raw in time per command, so the goal reads "<= 1.67x" (1 / 0.6).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from bench.micro import Case, Skipped
from bench.uow import (
    ACCOUNT_TYPE,
    EVENT_TYPE,
    POSTGRES,
    Account,
    postgres_unreachable,
    raw_deposit,
    raw_seed,
    sqlite_raw,
)
from tactica import Handlers, MessageBus, uuid7
from tactica.dataclasses import Command
from tactica.stores.sql import SQLUnitOfWork
from tactica.stores.sqlite import SQLiteConnection, SQLiteDatabase, SQLiteUnitOfWork, create_schema

__all__ = [
    "CommandSides",
    "Deposit",
    "command_cases",
    "postgres_command_sides",
    "sqlite_command_sides",
]

# At least 0.6 of raw throughput, as the table's time ratio.
GOAL = 1 / 0.6


class Deposit(Command[None], name="bench.commands.deposit"):
    """Pay `amount` into an account."""

    account_id: str
    amount: int


def _bus(new_unit: Callable[[], SQLUnitOfWork]) -> MessageBus:
    handlers = Handlers()

    @handlers.command
    def deposit(command: Deposit, uow: Any) -> None:
        with uow:
            uow.accounts.get(command.account_id).deposit(command.amount)
            uow.commit()

    return MessageBus(handlers, unit_of_work=new_unit)


def _dispatch(bus: MessageBus, account_id: str) -> None:
    bus.dispatch(Deposit(account_id=account_id, amount=1))


class _SQLiteBank(SQLiteUnitOfWork):
    def __init__(self, source: Path | SQLiteDatabase) -> None:
        super().__init__(source)
        self.accounts = self.repository(Account, type_name=ACCOUNT_TYPE)


def _seed(new_unit: Callable[[], Any], account_id: str) -> None:
    with new_unit() as uow:
        uow.accounts.add(Account(id=account_id, owner="Ada"))
        uow.commit()


class CommandSides:
    """One command each way: on kept connections, connecting per command, and raw."""

    def __init__(
        self,
        account_ids: tuple[str, str],
        kept: Callable[[], None],
        connecting: Callable[[], None],
        raw: Callable[[], None],
    ) -> None:
        """Hold the accounts (tactica's, the raw side's) and the three calls a row times."""
        self.account_ids = account_ids
        self.kept = kept
        self.connecting = connecting
        self.raw = raw


def sqlite_command_sides(directory: Path, resources: ExitStack) -> CommandSides:
    """Make tactica's file and the raw side's in `directory`, each with one account."""
    ours, theirs = directory / "commands-tactica.db", directory / "commands-raw.db"
    for path in (ours, theirs):
        setup = SQLiteConnection(path)
        try:
            create_schema(setup)
        finally:
            setup.close()
    account_id = "account-1"
    database = SQLiteDatabase(ours)
    resources.callback(database.close)
    _seed(partial(_SQLiteBank, database), account_id)
    raw = sqlite_raw(theirs)
    resources.callback(raw.close)
    raw_seed(raw, "sqlite", account_id)
    return CommandSides(
        account_ids=(account_id, account_id),
        kept=partial(_dispatch, _bus(partial(_SQLiteBank, database)), account_id),
        connecting=partial(_dispatch, _bus(partial(_SQLiteBank, ours)), account_id),
        raw=partial(raw_deposit, raw, "sqlite", account_id),
    )


def postgres_command_sides(conninfo: str, resources: ExitStack) -> CommandSides:
    """Give both sides an account row of this run; delete this run's rows after."""
    import psycopg

    from tactica.stores.postgres import PostgresConnection, PostgresDatabase, PostgresUnitOfWork
    from tactica.stores.postgres import create_schema as create_postgres_schema

    class PostgresBank(PostgresUnitOfWork):
        def __init__(self, source: str | PostgresDatabase) -> None:
            super().__init__(source)
            self.accounts = self.repository(Account, type_name=ACCOUNT_TYPE)

    run = uuid7().hex
    ours, theirs = f"commands-tactica-{run}", f"commands-raw-{run}"
    setup = PostgresConnection(conninfo)
    resources.callback(setup.close)
    create_postgres_schema(setup)

    def delete_rows() -> None:
        setup.execute(
            "DELETE FROM tactica_aggregates WHERE aggregate_type = ? AND aggregate_id IN (?, ?)",
            (ACCOUNT_TYPE, ours, theirs),
        )
        setup.execute(
            "DELETE FROM tactica_outbox WHERE type_name = ? "
            "AND convert_from(payload, 'UTF8')::jsonb ->> 'account_id' IN (?, ?)",
            (EVENT_TYPE, ours, theirs),
        )

    resources.callback(delete_rows)
    # One command at a time: one pooled connection is all the bus needs.
    database = PostgresDatabase(conninfo, min_size=1, max_size=1)
    resources.callback(database.close)
    _seed(partial(PostgresBank, database), ours)
    raw = psycopg.connect(conninfo, autocommit=True)
    resources.callback(raw.close)
    raw_seed(raw, "postgres", theirs)
    return CommandSides(
        account_ids=(ours, theirs),
        kept=partial(_dispatch, _bus(partial(PostgresBank, database)), ours),
        connecting=partial(_dispatch, _bus(partial(PostgresBank, conninfo)), ours),
        raw=partial(raw_deposit, raw, "postgres", theirs),
    )


# A command is a commit (hundreds of microseconds to milliseconds), as in bench.uow.
_BATCH_SCALE = 5.0


def _cases(database: str, driver: str, sides: CommandSides) -> Iterator[Case]:
    baseline = f"{driver}, 1 tx per command"
    yield Case(
        f"bus + uow, {database}",
        sides.kept,
        baseline,
        sides.raw,
        GOAL,
        unit="command",
        batch_scale=_BATCH_SCALE,
    )
    yield Case(
        f"bus + uow + connect, {database}",
        sides.connecting,
        baseline,
        sides.raw,
        None,
        reference=True,
        unit="command",
        batch_scale=_BATCH_SCALE,
    )


def command_cases(resources: ExitStack, *, postgres: str = POSTGRES) -> Iterator[Case | Skipped]:
    """Yield the SQLite rows, then the PostgreSQL rows or, without a server, skipped ones."""
    directory = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="tactica-bench-")))
    yield from _cases("SQLite", "sqlite3", sqlite_command_sides(directory, resources))
    reason = postgres_unreachable(postgres)
    if reason is not None:
        for name in ("bus + uow, PostgreSQL", "bus + uow + connect, PostgreSQL"):
            yield Skipped(name, "psycopg, 1 tx per command", reason)
        return
    yield from _cases("PostgreSQL", "psycopg", postgres_command_sides(postgres, resources))
