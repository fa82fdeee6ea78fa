"""Records to append in contract tests: PURE, shared by both colours."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tactica.domain.ids import uuid7
from tactica.outbox import OutboxMessage
from tactica.ports._events import NewEvent

__all__ = ["new_event", "new_events", "outbox_message"]


def new_event(
    type_name: str = "tactica.testing.happened",
    payload: bytes = b'{"n":1}',
    **fields: Any,
) -> NewEvent:
    """Return a `NewEvent` with a fresh id and the current time, overridable by keyword."""
    values: dict[str, Any] = {
        "type_name": type_name,
        "payload": payload,
        "event_id": uuid7(),
        "occurred_at": datetime.now(UTC),
    }
    return NewEvent(**(values | fields))


def new_events(count: int, **fields: Any) -> list[NewEvent]:
    """Return `count` new events whose payloads number them from 1."""
    return [new_event(payload=f'{{"n":{n}}}'.encode(), **fields) for n in range(1, count + 1)]


def outbox_message(**fields: Any) -> OutboxMessage:
    """Return an `OutboxMessage` with a fresh id and the current time, overridable by keyword."""
    values: dict[str, Any] = {
        "message_id": uuid7(),
        "type_name": "tactica.testing.happened",
        "schema_version": 1,
        "payload": b"{}",
        "occurred_at": datetime.now(UTC),
        "correlation_id": None,
        "causation_id": None,
    }
    return OutboxMessage(**(values | fields))
