"""The record an event store writes to its outbox table in the same transaction as events.

It lives with the ports, not in `tactica.outbox`, because the store protocols take it:
ports sit below the outbox package, which re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

__all__ = ["OutboxMessage"]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One stored integration event: its ids, registered type and JSON payload."""

    message_id: UUID
    type_name: str
    schema_version: int
    payload: bytes
    occurred_at: datetime
    correlation_id: UUID | None
    causation_id: UUID | None
