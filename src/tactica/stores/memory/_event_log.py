"""The storage of in-memory event stores: PURE, shared by both colours and every session."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from uuid import UUID

from tactica.errors import WrongExpectedVersionError
from tactica.outbox import OutboxMessage
from tactica.ports._events import (
    AppendResult,
    Expected,
    NewEvent,
    RecordedEvent,
    Snapshot,
    already_appended,
    expectation_met,
)
from tactica.stores._wakeups import Wakeups
from tactica.stores.memory._read_models import InMemoryReadModels

__all__ = ["InMemoryEventLog"]


class InMemoryEventLog(InMemoryReadModels):
    """Events of every stream in global order, with outbox rows, checkpoints and read models.

    Give one log to several stores to have them share storage, as separate connections
    to one database would. Every commit is checked and applied under one lock.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._all: list[RecordedEvent] = []
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._by_id: dict[UUID, RecordedEvent] = {}
        self._outbox: list[OutboxMessage] = []
        self._outbox_ids: set[UUID] = set()
        self._checkpoints: dict[str, int] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self.wakeups = Wakeups()
        self._init_read_models()

    def commit(
        self,
        appends: Sequence[tuple[str, tuple[NewEvent, ...], Expected]],
        outbox: Sequence[OutboxMessage],
        checkpoint: tuple[str, int] | None,
    ) -> list[AppendResult]:
        """Check every append, then apply all of them (or raise and apply none)."""
        with self._lock:
            results: list[AppendResult | None] = []
            versions: dict[str, int] = {}
            for stream_id, events, expected in appends:
                stored = [self._by_id[e.event_id] for e in events if e.event_id in self._by_id]
                retry = already_appended(stream_id, events, stored)
                if retry is not None:
                    results.append(retry)
                    continue
                current = versions.get(stream_id, len(self._streams.get(stream_id, ())))
                if not expectation_met(expected, current):
                    raise WrongExpectedVersionError(stream_id, expected, current)
                versions[stream_id] = current + len(events)
                results.append(None)
            now = datetime.now(UTC)
            done: list[AppendResult] = []
            for (stream_id, events, _), result in zip(appends, results, strict=True):
                done.append(result or self._append(stream_id, events, now))
            for message in outbox:
                if message.message_id not in self._outbox_ids:
                    self._outbox_ids.add(message.message_id)
                    self._outbox.append(message)
            if checkpoint is not None:
                self._checkpoints[checkpoint[0]] = checkpoint[1]
        self.wakeups.notify()
        return done

    def _append(self, stream_id: str, events: tuple[NewEvent, ...], now: datetime) -> AppendResult:
        stream = self._streams.setdefault(stream_id, [])
        for event in events:
            recorded = RecordedEvent(
                stream_id=stream_id,
                stream_version=len(stream) + 1,
                position=len(self._all) + 1,
                type_name=event.type_name,
                schema_version=event.schema_version,
                event_id=event.event_id,
                payload=event.payload,
                metadata=event.metadata,
                occurred_at=event.occurred_at,
                recorded_at=now,
                correlation_id=event.correlation_id,
                causation_id=event.causation_id,
            )
            stream.append(recorded)
            self._all.append(recorded)
            self._by_id[event.event_id] = recorded
        return AppendResult(stream_id, len(stream), len(self._all))

    def stream(self, stream_id: str) -> list[RecordedEvent]:
        """Return a copy of one stream's events."""
        with self._lock:
            return list(self._streams.get(stream_id, ()))

    def after(
        self, position: int, limit: int, types: Collection[str] | None
    ) -> list[RecordedEvent]:
        """Return up to `limit` events above `position`, of `types` if given."""
        with self._lock:
            tail = self._all[position:]
        if types is not None:
            wanted = set(types)
            tail = [event for event in tail if event.type_name in wanted]
        return tail[:limit]

    def outbox(self) -> list[OutboxMessage]:
        """Return the outbox rows written so far, oldest first."""
        with self._lock:
            return list(self._outbox)

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` as its stream's latest."""
        with self._lock:
            self._snapshots[snapshot.stream_id] = snapshot

    def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the stream's latest snapshot, or ``None``."""
        with self._lock:
            return self._snapshots.get(stream_id)

    def checkpoint(self, name: str) -> int:
        """Return the checkpoint stored under `name` (0 if none)."""
        with self._lock:
            return self._checkpoints.get(name, 0)
