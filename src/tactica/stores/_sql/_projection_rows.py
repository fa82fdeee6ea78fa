"""The SQL of projections' read models, checkpoints, dead letters and leases (PURE).

Statements use ``?`` placeholders, and run unchanged on SQLite and PostgreSQL unless a
function here says otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = [
    "CLAIM_LEASE",
    "DELETE_DOCUMENT",
    "DOCUMENT",
    "DOCUMENTS",
    "DROP_LEASE",
    "GENERATION",
    "INLINE_TURN",
    "INSERT_CHECKPOINT",
    "LOCK_CHECKPOINT",
    "MOVE_CHECKPOINT",
    "NEXT_GENERATION",
    "PARK",
    "PUT_DOCUMENT",
    "applied_between_query",
    "as_time",
    "head_query",
    "inline_turn_key",
    "pending_query",
    "reached_query",
]

MOVE_CHECKPOINT = "UPDATE tactica_checkpoints SET position = ? WHERE name = ? AND position = ?"
INSERT_CHECKPOINT = (
    "INSERT INTO tactica_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
)
# A write that changes nothing, for its row lock: batches moving the checkpoint wait for it.
LOCK_CHECKPOINT = "UPDATE tactica_checkpoints SET position = position WHERE name = ?"
# PostgreSQL: commits feeding one inline projection, and its swaps, take turns (a lock
# held until the transaction ends, keyed by `inline_turn_key`).
INLINE_TURN = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))"
DOCUMENT = (
    "SELECT document FROM tactica_documents"
    " WHERE projection = ? AND generation = ? AND collection = ? AND key = ?"
)
DOCUMENTS = (
    "SELECT key, document FROM tactica_documents"
    " WHERE projection = ? AND generation = ? AND collection = ? ORDER BY key"
)
PUT_DOCUMENT = (
    "INSERT INTO tactica_documents (projection, generation, collection, key, document)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (projection, generation, collection, key)"
    " DO UPDATE SET document = excluded.document"
)
DELETE_DOCUMENT = (
    "DELETE FROM tactica_documents"
    " WHERE projection = ? AND generation = ? AND collection = ? AND key = ?"
)
GENERATION = "SELECT generation FROM tactica_projections WHERE name = ?"
NEXT_GENERATION = (
    "INSERT INTO tactica_projections (name, generation, last_generation) VALUES (?, 1, 2)"
    " ON CONFLICT (name) DO UPDATE SET last_generation = tactica_projections.last_generation + 1"
    " RETURNING last_generation"
)
PARK = (
    "INSERT INTO tactica_dead_letters (projection, position, stream_id, event_id, type_name,"
    " attempts, error, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (projection, position) DO NOTHING"
)
# Taken when free, expired or already ours; one statement, so atomic without a transaction.
CLAIM_LEASE = (
    "INSERT INTO tactica_leases (name, holder, expires_at) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
    " WHERE tactica_leases.holder = excluded.holder OR tactica_leases.expires_at < ?"
)
DROP_LEASE = "DELETE FROM tactica_leases WHERE name = ? AND holder = ?"

_AFTER_HORIZON = (
    "(transaction_id, position) > (COALESCE((SELECT transaction_id FROM tactica_events"
    " WHERE position = ?), CAST('0' AS xid8)), ?)"
    " AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())"
)


def inline_turn_key(projection: str) -> str:
    """Return the key of the turns taken by the commits and swaps of an inline projection."""
    return f"tactica.inline:{projection}"


def applied_between_query(*, horizon: bool) -> str:
    """Return a row when an event lies after one checkpoint and at or before another.

    Parameters: the earlier checkpoint, then the later one (twice each on the horizon,
    where a later checkpoint that is no stored event's position has nothing before it).
    """
    if not horizon:
        return "SELECT 1 FROM tactica_events WHERE position > ? AND position <= ? LIMIT 1"
    return (
        "SELECT 1 FROM tactica_events WHERE (transaction_id, position) > (COALESCE("
        "(SELECT transaction_id FROM tactica_events WHERE position = ?), CAST('0' AS xid8)), ?)"
        " AND (transaction_id, position) <= ("
        "(SELECT transaction_id FROM tactica_events WHERE position = ?), ?) LIMIT 1"
    )


def pending_query(*, horizon: bool) -> str:
    """Return the count and oldest record time of the visible events after a checkpoint."""
    where = _AFTER_HORIZON if horizon else "position > ?"
    return f"SELECT COUNT(*), MIN(recorded_at) FROM tactica_events WHERE {where}"  # noqa: S608 - constants only


def head_query(*, horizon: bool) -> str:
    """Return the position of the last event readers may see now (0: none)."""
    if not horizon:
        return "SELECT COALESCE(MAX(position), 0) FROM tactica_events"
    return (
        "SELECT COALESCE((SELECT position FROM tactica_events"
        " WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())"
        " ORDER BY transaction_id DESC, position DESC LIMIT 1), 0)"
    )


def reached_query(*, horizon: bool) -> str:
    """Return whether a checkpoint is at or past a position, in the global read order."""
    if not horizon:
        return "SELECT COUNT(*) FROM tactica_checkpoints WHERE name = ? AND position >= ?"
    return (
        "SELECT COUNT(*) FROM tactica_checkpoints c"
        " JOIN tactica_events at_checkpoint ON at_checkpoint.position = c.position"
        " JOIN tactica_events wanted ON wanted.position = ?"
        " WHERE c.name = ? AND (wanted.transaction_id, wanted.position)"
        " <= (at_checkpoint.transaction_id, at_checkpoint.position)"
    )


def as_time(value: object) -> datetime:
    """Return a stored time (a driver's datetime, or SQLite's ISO text) as an aware UTC time."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
