"""What differs between the SQL databases tactica runs on, said once per database.

The shared SQL code asks a dialect what the database can do (take turns, keep a
horizon, notify listeners, store UUIDs natively) instead of comparing its name, so a
difference lives in one place and a new database is one more `SQLDialect`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tactica.errors import ConfigurationError

__all__ = ["POSTGRESQL", "SQLITE", "SQLDialect", "dialect_named"]


@dataclass(frozen=True, slots=True)
class SQLDialect:
    """The capabilities and the database-specific statements of one SQL database."""

    name: str
    """The SQLAlchemy dialect name: ``sqlite`` or ``postgresql``."""
    one_writer_at_a_time: bool
    """Write transactions run one after another (SQLite's ``BEGIN IMMEDIATE``), so
    readers see commits in position order and writers never need to take turns."""
    native_values: bool
    """UUIDs and aware datetimes are column types, not text the code converts."""
    database_clock: bool
    """The database fills ``recorded_at`` itself, from its own clock."""
    has_horizon: bool
    """Transaction ids (xid8) can tell which positions no open transaction can still fill."""
    turn: str | None
    """Take a turn on a text key until the transaction ends, when writers can overlap."""
    lock_events_table: str | None
    """Hold off every other appender until the transaction ends (``table_lock`` order)."""
    notify: str | None
    """Wake the listening runners at commit (never, if the transaction rolls back)."""
    schema_turn: str | None
    """Take the schema creator's turn, so concurrent ``create_schema`` calls queue."""


SQLITE = SQLDialect(
    name="sqlite",
    one_writer_at_a_time=True,
    native_values=False,
    database_clock=False,
    has_horizon=False,
    turn=None,
    lock_events_table=None,
    notify=None,
    schema_turn=None,
)

POSTGRESQL = SQLDialect(
    name="postgresql",
    one_writer_at_a_time=False,
    native_values=True,
    database_clock=True,
    has_horizon=True,
    turn="SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
    lock_events_table="LOCK TABLE tactica_events IN EXCLUSIVE MODE",
    notify="SELECT pg_notify(?, '')",
    # any constant: every tactica process takes the same lock
    schema_turn="SELECT pg_advisory_xact_lock(7355608114)",
)

_BY_NAME = {dialect.name: dialect for dialect in (SQLITE, POSTGRESQL)}


def dialect_named(name: str) -> SQLDialect:
    """Return the dialect of a connection whose ``dialect`` is `name`."""
    try:
        return _BY_NAME[name]
    except KeyError:
        msg = f"tactica runs on SQLite and PostgreSQL, not on a {name!r} database"
        raise ConfigurationError(msg) from None
