"""The transactional outbox: integration events stored with the change that recorded them.

A unit of work turns every committed event of a class declared with ``integration=True``
into an `OutboxMessage` and writes it in the same transaction as the aggregate, so an
event leaves the service if and only if its change was stored. A relay that publishes the
stored messages to a broker comes in a later release.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from tactica.codec import JsonCodec
from tactica.domain.naming import is_integration, message_name, message_version
from tactica.ports import OutboxMessage

__all__ = ["OutboxMessage", "outbox_messages"]


class _Event(Protocol):
    @property
    def event_id(self) -> UUID: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def correlation_id(self) -> UUID | None: ...
    @property
    def causation_id(self) -> UUID | None: ...


def outbox_messages(events: Iterable[Any], codec: JsonCodec) -> list[OutboxMessage]:
    """Return the outbox messages for the integration events among `events`, in order."""
    return [
        OutboxMessage(
            message_id=event.event_id,
            type_name=message_name(type(event)),
            schema_version=message_version(type(event)),
            payload=codec.encode(event),
            occurred_at=event.occurred_at,
            correlation_id=event.correlation_id,
            causation_id=event.causation_id,
        )
        for event in _events(events)
        if is_integration(type(event))
    ]


def _events(events: Iterable[Any]) -> Iterable[_Event]:
    return events
