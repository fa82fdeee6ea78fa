"""tactica's own tables, in each dialect.

Kept apart from the drivers, so that any connection (tactica's own, or SQLAlchemy's on
whichever driver) can create them.
"""

from __future__ import annotations

from tactica.errors import ConfigurationError

__all__ = ["POSTGRES_SCHEMA", "SQLITE_SCHEMA", "schema_for"]

SQLITE_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS tactica_aggregates (
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS tactica_outbox (
    message_id TEXT PRIMARY KEY,
    type_name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload BLOB NOT NULL,
    occurred_at TEXT NOT NULL,
    correlation_id TEXT,
    causation_id TEXT,
    stored_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
""",
    # One writer at a time (BEGIN IMMEDIATE) makes position order commit order.
    """
CREATE TABLE IF NOT EXISTS tactica_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    type_name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload BLOB NOT NULL,
    metadata BLOB NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    correlation_id TEXT,
    causation_id TEXT,
    UNIQUE (stream_id, stream_version)
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_checkpoints (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS tactica_snapshots (
    stream_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    type_name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    state BLOB NOT NULL
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS tactica_projections (
    name TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    last_generation INTEGER NOT NULL
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS tactica_documents (
    projection TEXT NOT NULL,
    generation INTEGER NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    document BLOB NOT NULL,
    PRIMARY KEY (projection, generation, collection, key)
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS tactica_dead_letters (
    projection TEXT NOT NULL,
    position INTEGER NOT NULL,
    stream_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type_name TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    parked_at TEXT NOT NULL,
    PRIMARY KEY (projection, position)
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
""",
)

POSTGRES_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS tactica_aggregates (
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    state BYTEA NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_outbox (
    message_id TEXT PRIMARY KEY,
    type_name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload BYTEA NOT NULL,
    occurred_at TEXT NOT NULL,
    correlation_id TEXT,
    causation_id TEXT,
    stored_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
""",
    # transaction_id: the writer's xid8, so that global readers can stay below the oldest
    # transaction still running and never skip an event that commits late.
    """
CREATE TABLE IF NOT EXISTS tactica_events (
    position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id XID8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id TEXT NOT NULL,
    stream_version BIGINT NOT NULL,
    event_id UUID NOT NULL UNIQUE,
    type_name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload BYTEA NOT NULL,
    metadata BYTEA NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    correlation_id UUID,
    causation_id UUID,
    UNIQUE (stream_id, stream_version)
)
""",
    """
CREATE INDEX IF NOT EXISTS tactica_events_global_order
    ON tactica_events (transaction_id, position)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_checkpoints (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_snapshots (
    stream_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    type_name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    state BYTEA NOT NULL
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_projections (
    name TEXT PRIMARY KEY,
    generation BIGINT NOT NULL,
    last_generation BIGINT NOT NULL
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_documents (
    projection TEXT NOT NULL,
    generation BIGINT NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    document BYTEA NOT NULL,
    PRIMARY KEY (projection, generation, collection, key)
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_dead_letters (
    projection TEXT NOT NULL,
    position BIGINT NOT NULL,
    stream_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type_name TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    parked_at TEXT NOT NULL,
    PRIMARY KEY (projection, position)
)
""",
    """
CREATE TABLE IF NOT EXISTS tactica_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
)
""",
)


def schema_for(dialect: str) -> tuple[str, ...]:
    """Return the DDL for a SQLAlchemy dialect name (``sqlite`` or ``postgresql``)."""
    schemas = {"sqlite": SQLITE_SCHEMA, "postgresql": POSTGRES_SCHEMA}
    try:
        return schemas[dialect]
    except KeyError:
        supported = ", ".join(sorted(schemas))
        msg = f"tactica has no schema for the {dialect!r} dialect; supported: {supported}"
        raise ConfigurationError(msg) from None
