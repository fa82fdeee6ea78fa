"""Event rows in and out of SQL: PURE statement texts and value conversions per dialect."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from tactica.ports._events import NewEvent, RecordedEvent

NOTIFY_CHANNEL = "tactica_events"
"""The channel PostgreSQL appends notify (payload-free) when they commit."""

__all__ = [
    "COLUMNS",
    "NOTIFY_CHANNEL",
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
def insert_events(dialect: str, count: int) -> str:
    """Return the INSERT of `count` events in one statement, answering their positions."""
    recorded_at = "" if dialect == "postgresql" else ", recorded_at"
    marks = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + ("" if dialect == "postgresql" else ", ?")
    values = ", ".join([f"({marks})"] * count)
    return (
        "INSERT INTO tactica_events (stream_id, stream_version, event_id, type_name,"
        " schema_version, payload, metadata, occurred_at, correlation_id, causation_id"
        f"{recorded_at}) VALUES {values} RETURNING position"
    )


def uuid_value(dialect: str, value: UUID | None) -> object:
    """Return a UUID as the dialect stores it: native on PostgreSQL, text on SQLite."""
    if value is None or dialect == "postgresql":
        return value
    return str(value)


def event_row(
    dialect: str, stream_id: str, version: int, event: NewEvent, now: datetime
) -> tuple[object, ...]:
    """Return the parameters of `insert_event` for one event at `version`."""
    occurred_at: object = event.occurred_at
    if dialect != "postgresql":
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
    return row if dialect == "postgresql" else (*row, now.isoformat())


def _as_uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(value)


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def recorded(row: tuple[Any, ...]) -> RecordedEvent:
    """Return the event a row of `COLUMNS` holds."""
    (stream_id, version, position, type_name, schema_version, event_id) = row[:6]
    (payload, metadata, occurred_at, recorded_at, correlation_id, causation_id) = row[6:]
    # Positional, and conversions only where the driver gave text: a long read makes
    # this call once per event.
    return RecordedEvent(
        stream_id,
        version,
        position,
        type_name,
        schema_version,
        event_id if type(event_id) is UUID else UUID(event_id),
        payload if type(payload) is bytes else bytes(payload),
        metadata if type(metadata) is bytes else bytes(metadata),
        occurred_at if type(occurred_at) is datetime else datetime.fromisoformat(occurred_at),
        _as_time(recorded_at).astimezone(UTC),
        None if correlation_id is None else _as_uuid(correlation_id),
        None if causation_id is None else _as_uuid(causation_id),
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


@lru_cache(maxsize=64)
def global_read(*, horizon: bool, types: int) -> str:
    """Return the SELECT of every stream's events after a position, in global order.

    With `horizon` (PostgreSQL's default), events are ordered by the writing transaction's
    id, then position, and only those of transactions older than every one still running
    are visible: a transaction that commits late can then never be skipped by a reader
    who already moved past its positions. The position given is the last one read; its
    transaction id is looked up, so callers keep one integer as their checkpoint.
    """
    kinds = f" AND type_name IN ({', '.join('?' * types)})" if types else ""
    if not horizon:
        return (
            f"SELECT {COLUMNS} FROM tactica_events WHERE position > ?{kinds}"
            " ORDER BY position LIMIT ?"
        )
    return (
        f"SELECT {COLUMNS} FROM tactica_events WHERE (transaction_id, position) >"
        " (COALESCE((SELECT transaction_id FROM tactica_events WHERE position = ?),"
        " CAST('0' AS xid8)), ?)"
        " AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())"
        f"{kinds} ORDER BY transaction_id, position LIMIT ?"
    )
