"""The SQL of projections' read models, checkpoints, dead letters and leases (PURE).

Statements use ``?`` placeholders, and run unchanged on SQLite and PostgreSQL unless a
function here says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tactica.stores._sql._event_rows import after_in_read_order

__all__ = [
    "CLAIM_LEASE",
    "DELETE_DOCUMENT",
    "DOCUMENT",
    "DOCUMENTS",
    "DROP_LEASE",
    "GENERATION",
    "HELD_BACK",
    "INSERT_CHECKPOINT",
    "LOCK_CHECKPOINT",
    "LOCK_HOLDER",
    "MOVE_CHECKPOINT",
    "NEXT_GENERATION",
    "OLDEST_TRANSACTION",
    "PARK",
    "PUT_DOCUMENT",
    "applied_between_query",
    "as_time",
    "head_query",
    "horizon_stall",
    "inline_turn_key",
    "lock_stall",
    "pending_query",
    "reached_query",
    "read_order_parameters",
]

MOVE_CHECKPOINT = "UPDATE tactica_checkpoints SET position = ? WHERE name = ? AND position = ?"
INSERT_CHECKPOINT = (
    "INSERT INTO tactica_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
)
# A write that changes nothing, for its row lock: batches moving the checkpoint wait for it.
LOCK_CHECKPOINT = "UPDATE tactica_checkpoints SET position = position WHERE name = ?"
# PostgreSQL: commits feeding one inline projection, and its swaps, take turns (a lock
# held until the transaction ends, keyed by `inline_turn_key`).
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

# After a checkpoint in the horizon's read order (parameters: the checkpoint, four times).
_AFTER_IN_READ_ORDER = after_in_read_order()


def inline_turn_key(projection: str) -> str:
    """Return the key of the turns taken by the commits and swaps of an inline projection."""
    return f"tactica.inline:{projection}"


def applied_between_query(*, horizon: bool) -> str:
    """Return a row when an event lies after one checkpoint and at or before another.

    Parameters: `read_order_parameters` of the earlier checkpoint, then of the later one.
    """
    if not horizon:
        return "SELECT 1 FROM tactica_events WHERE position > ? AND position <= ? LIMIT 1"
    return (
        f"SELECT 1 FROM tactica_events WHERE {_AFTER_IN_READ_ORDER}"
        f" AND NOT {_AFTER_IN_READ_ORDER} LIMIT 1"
    )


def read_order_parameters(*positions: int, horizon: bool) -> tuple[int, ...]:
    """Return the parameters that stand for each of `positions` in these statements."""
    return tuple(p for p in positions for _ in range(4 if horizon else 1))


def pending_query(*, horizon: bool) -> str:
    """Return the count and oldest record time of the committed events after a checkpoint.

    On the horizon, events that an older open transaction still holds back from readers
    count too: they are committed and not applied, so the lag must show them.
    """
    where = _AFTER_IN_READ_ORDER if horizon else "position > ?"
    return f"SELECT COUNT(*), MIN(recorded_at) FROM tactica_events WHERE {where}"


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
    # Reached when the wanted event is not after the checkpoint (a position that holds no
    # event is reached at once: there is nothing there to wait for).
    return (
        "SELECT COUNT(*) FROM tactica_checkpoints c WHERE c.name = ? AND NOT EXISTS"
        " (SELECT 1 FROM tactica_events WHERE position = ? AND"
        f" {after_in_read_order('c.position')})"
    )


def as_time(value: object) -> datetime:
    """Return a stored time (a driver's datetime, or SQLite's ISO text) as an aware UTC time."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# PostgreSQL: committed events held back from readers for longer than a threshold.
HELD_BACK = (
    "SELECT COUNT(*) FROM tactica_events"
    " WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())"
    " AND recorded_at < clock_timestamp() - make_interval(secs => ?)"
)
# What holds pg_snapshot_xmin back is the oldest transaction id still running anywhere in
# the cluster: a backend's (backend_xid; a snapshot's xmin alone holds back no reader)
# or a prepared transaction's. Another role's backend shows no xid without
# pg_read_all_stats.
OLDEST_TRANSACTION = (
    "SELECT kind, pid, database, application, state, seconds FROM ("
    " SELECT 'backend' AS kind, pid, CAST(datname AS text) AS database,"
    " application_name AS application, state,"
    " EXTRACT(EPOCH FROM clock_timestamp() - xact_start) AS seconds, age(backend_xid) AS age"
    " FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
    " UNION ALL"
    " SELECT 'prepared', NULL, CAST(database AS text), gid, NULL,"
    " EXTRACT(EPOCH FROM clock_timestamp() - prepared), age(transaction)"
    " FROM pg_prepared_xacts"
    ") AS holders ORDER BY age DESC LIMIT 1"
)
# Writers waiting (longer than the threshold) for the events table, and who holds it.
LOCK_HOLDER = (
    "SELECT a.pid, CAST(a.datname AS text), a.application_name, a.state,"
    " EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start)"
    " FROM pg_locks w"
    " LEFT JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid) ON true"
    " LEFT JOIN pg_stat_activity a ON a.pid = blocker.pid"
    " WHERE w.relation = to_regclass('tactica_events') AND NOT w.granted"
    " AND w.waitstart < clock_timestamp() - make_interval(secs => ?)"
    " ORDER BY a.xact_start NULLS LAST LIMIT 1"
)
_GUARD = "; end it, or bound such stalls with idle_in_transaction_session_timeout on the server"


def horizon_stall(holder: Sequence[Any] | None) -> str:
    """Return the stall reason of the xid8 horizon, naming `holder` where it is known."""
    reason = "a transaction older than the held-back events is still open"
    if holder is None:
        return (
            f"{reason} (this role cannot see which: the pg_read_all_stats role lets it "
            f"name the backend){_GUARD}"
        )
    kind, pid, database, application, state, seconds = holder
    if kind == "prepared":
        return (
            f"{reason}: the prepared transaction {application!r} in database {database!r}, "
            f"prepared {_seconds(seconds)} ago; COMMIT PREPARED or ROLLBACK PREPARED it"
        )
    return f"{reason}: {_backend(pid, database, application, state, seconds)}{_GUARD}"


def lock_stall(row: Sequence[Any]) -> str:
    """Return the stall reason of the table-lock design, naming the lock's holder if known."""
    pid, database, application, state, seconds = row
    reason = "writers wait for a lock on the events table"
    if pid is None:
        return reason
    return f"{reason}, held by {_backend(pid, database, application, state, seconds)}"


def _backend(
    pid: object, database: object, application: object, state: object, seconds: object
) -> str:
    return (
        f"backend pid {pid} in database {database!r} (application {application or ''!r}, "
        f"state {state!r}, transaction open for {_seconds(seconds)})"
    )


def _seconds(value: object) -> str:
    return "an unknown time" if value is None else f"{float(str(value)):.1f} s"
