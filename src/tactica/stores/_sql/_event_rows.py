"""Event rows in and out of SQL: PURE statement texts and value conversions per dialect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast
from uuid import UUID

from tactica.errors import StoredDataError
from tactica.ports._checks import shown
from tactica.ports._events import NewEvent, RecordedEvent
from tactica.stores._sql._dialect import SQLDialect

NOTIFY_CHANNEL = "tactica_events"
"""The channel PostgreSQL appends notify (payload-free) when they commit."""

__all__ = [
    "COLUMNS",
    "NOTIFY_CHANNEL",
    "after_in_read_order",
    "by_ids",
    "event_row",
    "global_read",
    "insert_events",
    "recorded",
    "stream_read",
    "uuid_value",
]

COLUMNS = (
    "stream_id, stream_version, position, type_name, schema_version, event_id, payload,"
    " metadata, occurred_at, recorded_at, correlation_id, causation_id"
)


@lru_cache(maxsize=64)
def insert_events(dialect: SQLDialect, count: int) -> str:
    """Return the INSERT of `count` events in one statement, answering their positions."""
    recorded_at = "" if dialect.database_clock else ", recorded_at"
    marks = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + ("" if dialect.database_clock else ", ?")
    values = ", ".join([f"({marks})"] * count)
    return (
        "INSERT INTO tactica_events (stream_id, stream_version, event_id, type_name,"
        " schema_version, payload, metadata, occurred_at, correlation_id, causation_id"
        f"{recorded_at}) VALUES {values} RETURNING position"
    )


def uuid_value(dialect: SQLDialect, value: UUID | None) -> object:
    """Return a UUID as the dialect stores it: native on PostgreSQL, text on SQLite."""
    if value is None or dialect.native_values:
        return value
    return str(value)


def event_row(
    dialect: SQLDialect, stream_id: str, version: int, event: NewEvent, now: datetime
) -> tuple[object, ...]:
    """Return the parameters of `insert_event` for one event at `version`."""
    occurred_at: object = event.occurred_at
    if not dialect.native_values:
        occurred_at = event.occurred_at.isoformat()
    row: tuple[object, ...] = (
        stream_id,
        version,
        uuid_value(dialect, event.event_id),
        event.type_name,
        event.schema_version,
        event.payload,
        event.metadata,
        occurred_at,
        uuid_value(dialect, event.correlation_id),
        uuid_value(dialect, event.causation_id),
    )
    return row if dialect.database_clock else (*row, now.isoformat())


def _as_uuid(value: Any) -> UUID:
    return value if type(value) is UUID else UUID(value)


def _as_time(value: Any) -> datetime:
    when = value if type(value) is datetime else datetime.fromisoformat(value)
    if when.tzinfo is None:
        msg = "a naive time"
        raise ValueError(msg)
    return when


def _as_bytes(value: Any) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(cast("bytearray", value))
    msg = f"{type(value).__name__}, not bytes"
    raise TypeError(msg)


def recorded(row: tuple[Any, ...]) -> RecordedEvent:
    """Return the event a row of `COLUMNS` holds; `StoredDataError` if it was tampered with."""
    try:
        return _recorded(row)
    except (TypeError, ValueError, OverflowError) as error:
        raise _tampered(row, error) from error


def _recorded(row: tuple[Any, ...]) -> RecordedEvent:
    (stream_id, version, position, type_name, schema_version, event_id) = row[:6]
    (payload, metadata, occurred_at, recorded_at, correlation_id, causation_id) = row[6:]
    # A long read makes this call once per event: conversions only where the driver gave
    # text, and checks that are cheap next to them.
    if (
        type(stream_id) is not str
        or type(type_name) is not str
        or type(version) is not int
        or type(position) is not int
        or type(schema_version) is not int
    ):
        msg = "a column of the wrong type"
        raise TypeError(msg)
    return RecordedEvent(
        stream_id,
        version,
        position,
        type_name,
        schema_version,
        event_id if type(event_id) is UUID else _as_uuid(event_id),
        payload if type(payload) is bytes else _as_bytes(payload),
        metadata if type(metadata) is bytes else _as_bytes(metadata),
        occurred_at if type(occurred_at) is datetime else _as_time(occurred_at),
        _as_time(recorded_at).astimezone(UTC),
        None if correlation_id is None else _as_uuid(correlation_id),
        None if causation_id is None else _as_uuid(causation_id),
    )


def _as_optional_uuid(value: Any) -> UUID | None:
    return None if value is None else _as_uuid(value)


def _of_type(kind: type) -> Callable[[Any], object]:
    def check(value: Any) -> object:
        if type(value) is not kind:
            msg = f"{type(value).__name__}, not {kind.__name__}"
            raise TypeError(msg)
        return value

    return check


_COLUMN_READERS: dict[str, Callable[[Any], object]] = {
    "stream_id": _of_type(str),
    "stream_version": _of_type(int),
    "position": _of_type(int),
    "type_name": _of_type(str),
    "schema_version": _of_type(int),
    "event_id": _as_uuid,
    "payload": _as_bytes,
    "metadata": _as_bytes,
    "occurred_at": _as_time,
    "recorded_at": _as_time,
    "correlation_id": _as_optional_uuid,
    "causation_id": _as_optional_uuid,
}


def _reads(column: str, value: Any) -> bool:
    try:
        _COLUMN_READERS[column](value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _tampered(row: tuple[Any, ...], error: Exception) -> StoredDataError:
    bad = [
        column
        for column, value in zip(_COLUMN_READERS, row, strict=False)
        if not _reads(column, value)
    ]
    return StoredDataError(
        f"the stored event at position {shown(row[2])} (stream {shown(row[0])}, version "
        f"{shown(row[1])}, event id {shown(row[5])}) cannot be read: "
        f"{', '.join(bad) or 'a column'} does not hold what tactica writes there ({error}); "
        "the row was changed outside tactica"
    )


@lru_cache(maxsize=64)
def by_ids(count: int) -> str:
    """Return the SELECT of the stored events among `count` event ids."""
    marks = ", ".join("?" * count)
    return f"SELECT {COLUMNS} FROM tactica_events WHERE event_id IN ({marks}) ORDER BY position"


@lru_cache(maxsize=16)
def stream_read(*, bounded: bool, backwards: bool, limited: bool) -> str:
    """Return the SELECT of one stream's events between versions."""
    upper = " AND stream_version <= ?" if bounded else ""
    order = "DESC" if backwards else "ASC"
    limit = " LIMIT ?" if limited else ""
    return (
        f"SELECT {COLUMNS} FROM tactica_events WHERE stream_id = ? AND stream_version >= ?"
        f"{upper} ORDER BY stream_version {order}{limit}"
    )


_HORIZON = "transaction_id < pg_snapshot_xmin(pg_current_snapshot())"


def after_in_read_order(cursor: str = "?") -> str:
    """Return the SQL condition "this event is after `cursor`" in the horizon's read order.

    `cursor` is a position (a ``?`` parameter, given four times, or a column). Stored, it
    is followed by what its transaction wrote later and by later transactions; not stored
    (a gap, a position past the head), by the events with a greater position: the same
    rule as `global_read`, never the log from its start. NULL-safe, so it may be negated.
    """
    return (
        "(COALESCE((transaction_id, position) > ((SELECT transaction_id FROM tactica_events"
        f" WHERE position = {cursor}), {cursor}), FALSE) OR (position > {cursor} AND NOT"
        f" EXISTS (SELECT 1 FROM tactica_events WHERE position = {cursor})))"
    )


@lru_cache(maxsize=64)
def global_read(*, horizon: bool, types: int) -> str:
    """Return the SELECT of every stream's events after a position, in global order.

    With `horizon` (PostgreSQL's default), events are ordered by the writing transaction's
    id, then position, and only those of transactions older than every one still running
    are visible: a transaction that commits late can then never be skipped by a reader
    who already moved past its positions. Callers keep one integer as their checkpoint:
    when it is a stored position, its transaction id is looked up and the read goes on
    after that (transaction, position) pair; when it is not (a gap left by a rolled-back
    transaction, a position past the head, a checkpoint restored from elsewhere), the read
    returns the visible events with a greater position, never the log from its start.
    Parameters: `global_read_parameters`.
    """
    kinds = f" AND type_name IN ({', '.join('?' * types)})" if types else ""
    if not horizon:
        return (
            f"SELECT {COLUMNS} FROM tactica_events WHERE position > ?{kinds}"
            " ORDER BY position LIMIT ?"
        )
    after_stored = (
        f"SELECT {COLUMNS}, transaction_id FROM tactica_events WHERE (transaction_id, position) >"
        " ((SELECT transaction_id FROM tactica_events WHERE position = ?), ?)"
        f" AND {_HORIZON}{kinds}"
    )
    after_unstored = (
        f"SELECT {COLUMNS}, transaction_id FROM tactica_events WHERE position > ?"
        " AND NOT EXISTS (SELECT 1 FROM tactica_events WHERE position = ?)"
        f" AND {_HORIZON}{kinds}"
    )
    return (
        f"SELECT {COLUMNS} FROM (({after_stored} ORDER BY transaction_id, position LIMIT ?)"
        f" UNION ALL ({after_unstored} ORDER BY transaction_id, position LIMIT ?)) AS tail"
        " ORDER BY transaction_id, position LIMIT ?"
    )


def global_read_parameters(
    after: int, kinds: list[str], limit: int, *, horizon: bool
) -> list[object]:
    """Return the parameters of `global_read` for a read after `after`."""
    if not horizon:
        return [after, *kinds, limit]
    return [after, after, *kinds, limit, after, after, *kinds, limit, limit]
