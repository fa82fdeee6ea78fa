# Generated from _event_store_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The in-memory event store (sync colour): the reference backend and the blessed fake."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from tactica.outbox import OutboxMessage
from tactica.ports._events import (
    MAX_EVENT_BYTES,
    AppendResult,
    RecordedEvent,
    Snapshot,
    StreamAppend,
    checked_checkpoint,
    checked_snapshot,
)
from tactica.ports._reads import checked_name, checked_read, checked_read_all, window
from tactica.ports._store_base_sync import EventStoreBase, checked_max_bytes
from tactica.stores.memory._event_log import InMemoryEventLog
from tactica.stores.memory._projections_sync import InMemoryProjections

__all__ = ["InMemoryEventStore"]


class InMemoryEventStore(InMemoryProjections, EventStoreBase):
    """An event store in this process's memory; it passes every event-store contract test.

    It also hosts projections (`tactica.projections`): read models, checkpoints, leases.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from tactica import uuid7
        >>> from tactica.ports import NO_STREAM, NewEvent
        >>> from tactica.stores.memory import InMemoryEventStore
        >>> store = InMemoryEventStore()
        >>> opened = NewEvent("bank.opened", b'{"owner":"Ada"}', uuid7(), datetime.now(UTC))
        >>> result = store.append("account-1", [opened], NO_STREAM)
        >>> result.stream_version, result.position
        (1, 1)
    """

    def __init__(
        self, log: InMemoryEventLog | None = None, *, max_event_bytes: int = MAX_EVENT_BYTES
    ) -> None:
        """Store in `log` (a new one if omitted); refuse documents over `max_event_bytes`."""
        self.log = log if log is not None else InMemoryEventLog()
        self.max_event_bytes = checked_max_bytes(max_event_bytes)

    def commit(
        self,
        appends: Sequence[StreamAppend],
        *,
        outbox: Sequence[OutboxMessage] = (),
        checkpoint: tuple[str, int] | None = None,
    ) -> list[AppendResult]:
        """Append to several streams, write outbox rows and a checkpoint, atomically."""
        checked = self.checked(appends)
        messages = self.checked_outbox(outbox)
        return self.log.commit(checked, messages, checked_checkpoint(checkpoint))

    def read(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        backwards: bool = False,
        limit: int | None = None,
    ) -> list[RecordedEvent]:
        """Return a stream's events between two versions (inclusive), oldest first by default."""
        checked_read(stream_id, from_version, to_version, limit, backwards=backwards)
        events = self.log.stream(stream_id)
        return window(events, from_version, to_version, backwards=backwards, limit=limit)

    def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Collection[str] | None = None
    ) -> list[RecordedEvent]:
        """Return events of every stream with a position above `after`, in global order."""
        checked_read_all(after, limit, types)
        return self.log.after(after, limit, types)

    def stream_version(self, stream_id: str) -> int:
        """Return the version of a stream: its number of events, 0 if it does not exist."""
        checked_name(stream_id, "a stream id")
        return len(self.log.stream(stream_id))

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store `snapshot`, replacing the stream's previous one."""
        self.log.save_snapshot(checked_snapshot(snapshot))

    def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the stream's latest snapshot, or ``None``."""
        checked_name(stream_id, "a stream id")
        return self.log.load_snapshot(stream_id)

    def checkpoint(self, name: str) -> int:
        """Return the position stored under `name` by a commit, 0 if there is none."""
        checked_name(name, "a checkpoint name")
        return self.log.checkpoint(name)
