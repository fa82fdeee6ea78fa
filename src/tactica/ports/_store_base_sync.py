# Generated from _store_base_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""What every event store backend shares (sync colour): appends as one-stream commits."""

from __future__ import annotations

from collections.abc import Sequence

from tactica.errors import ConfigurationError
from tactica.ports._events import (
    ANY,
    AppendResult,
    Expected,
    NewEvent,
    StreamAppend,
    checked_appends,
)
from tactica.ports._outbox import OutboxMessage
from tactica.ports._outbox_checks import checked_outbox

__all__ = ["EventStoreBase", "checked_max_bytes"]


def checked_max_bytes(max_event_bytes: object) -> int:
    """Return a store's document size limit once it is an int >= 1; raise otherwise."""
    if type(max_event_bytes) is not int or max_event_bytes < 1:
        msg = f"max_event_bytes must be an int >= 1 (bytes), not {max_event_bytes!r}"
        raise ConfigurationError(msg)
    return max_event_bytes


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
        return checked_appends(appends, max_bytes=self.max_event_bytes)

    def checked_outbox(self, outbox: Sequence[OutboxMessage]) -> tuple[OutboxMessage, ...]:
        """Return the outbox messages once valid; raise `InvalidAppendError` before any write."""
        return checked_outbox(outbox, max_bytes=self.max_event_bytes)
