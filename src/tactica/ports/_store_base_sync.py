# Generated from _store_base_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""What every event store backend shares (sync colour): appends as one-stream commits."""

from __future__ import annotations

from collections.abc import Sequence

from tactica.outbox import OutboxMessage
from tactica.ports._events import (
    ANY,
    AppendResult,
    Expected,
    NewEvent,
    StreamAppend,
    checked_append,
)

__all__ = ["EventStoreBase"]


class EventStoreBase:
    """An event store's `append`, and the input checks every `commit` makes first."""

    max_event_bytes: int

    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: Expected = ANY
    ) -> AppendResult:
        """Append `events` to a stream if it meets `expected_version`; all or none."""
        appended = self.commit([StreamAppend(stream_id, events, expected_version)])
        return appended[0]

    def commit(
        self,
        appends: Sequence[StreamAppend],
        *,
        outbox: Sequence[OutboxMessage] = (),
        checkpoint: tuple[str, int] | None = None,
    ) -> list[AppendResult]:
        """Append to several streams, write outbox rows and a checkpoint, atomically."""
        raise NotImplementedError

    def checked(
        self, appends: Sequence[StreamAppend]
    ) -> list[tuple[str, tuple[NewEvent, ...], Expected]]:
        """Return the appends once valid; raise `InvalidAppendError` before any write."""
        return [
            checked_append(
                part.stream_id, part.events, part.expected_version, max_bytes=self.max_event_bytes
            )
            for part in appends
        ]
