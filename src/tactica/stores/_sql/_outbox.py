"""The outbox row every SQL writer inserts: PURE statement text and parameters."""

from __future__ import annotations

from tactica.outbox import OutboxMessage

__all__ = ["INSERT_OUTBOX", "INSERT_OUTBOX_ONCE", "outbox_row"]

INSERT_OUTBOX = (
    "INSERT INTO tactica_outbox (message_id, type_name, schema_version, payload, occurred_at,"
    " correlation_id, causation_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# An event store commit may be retried with the very same events (an unknown outcome);
# their outbox rows are then already there, and stay as they are.
INSERT_OUTBOX_ONCE = f"{INSERT_OUTBOX} ON CONFLICT (message_id) DO NOTHING"


def outbox_row(message: OutboxMessage) -> tuple[object, ...]:
    """Return the parameters of `INSERT_OUTBOX` for `message`."""
    return (
        str(message.message_id),
        message.type_name,
        message.schema_version,
        message.payload,
        message.occurred_at.isoformat(),
        None if message.correlation_id is None else str(message.correlation_id),
        None if message.causation_id is None else str(message.causation_id),
    )
