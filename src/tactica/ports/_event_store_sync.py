# Generated from _event_store_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The event store port (sync colour): streams of JSON events, a global order, one commit.

Bytes-level on purpose: what an event *is* (its class, its decoding, its upcasting) is the
codec's business; a store only keeps documents in order and answers for them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from tactica.ports._events import ANY, AppendResult, Expected, NewEvent, RecordedEvent, StreamAppend
from tactica.ports._outbox import OutboxMessage

__all__ = ["EventStore"]


class EventStore(Protocol):
    """Appends events to streams under an expected version, and reads them back in order.

    Every stream counts its events from version 1; every event also gets a global position,
    increasing across all streams in commit order. Appends are idempotent by event id: the
    same events appended again are reported as already appended, never stored twice.
    """

    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: Expected = ANY
    ) -> AppendResult:
        """Append `events` to a stream if it meets `expected_version`; all or none."""
        ...

    def commit(
        self,
        appends: Sequence[StreamAppend],
        *,
        outbox: Sequence[OutboxMessage] = (),
        checkpoint: tuple[str, int] | None = None,
    ) -> list[AppendResult]:
        """Append to several streams, write outbox rows and a checkpoint, in one transaction."""
        ...

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
        ...

    def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Collection[str] | None = None
    ) -> list[RecordedEvent]:
        """Return events of every stream with a position above `after`, in global order."""
        ...

    def stream_version(self, stream_id: str) -> int:
        """Return the version of a stream: its number of events, 0 if it does not exist."""
        ...

    def checkpoint(self, name: str) -> int:
        """Return the position stored under `name` by a commit, 0 if there is none."""
        ...
