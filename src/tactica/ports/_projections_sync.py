# Generated from _projections_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The projection port (sync colour): read models, checkpoints, leases and wake-ups.

An event store that can host projections implements `ProjectionStore`: runners read
events from it and write read models and checkpoints into the same database, in one
transaction per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from tactica.ports._event_store_sync import EventStore
from tactica.ports._events import RecordedEvent
from tactica.ports._projection_records import DeadLetter, ProjectionStatus

__all__ = ["Lease", "Listener", "ProjectionStore", "ProjectionTransaction"]


class ProjectionTransaction(Protocol):
    """The transaction a batch of events is projected in; the checkpoint moves in it too.

    Read models are JSON documents in named collections, kept per projection (and per
    generation, so a rebuild fills fresh ones). SQL backends also lend their connection
    as ``tx.connection`` for tables of your own.
    """

    @property
    def replaying(self) -> bool:
        """Whether this is a rebuild: handlers should then skip side effects."""
        ...

    @property
    def recorded(self) -> RecordedEvent:
        """The stored event being handled (stream, position, times, ids); set by the runner."""
        ...

    @recorded.setter
    def recorded(self, record: RecordedEvent) -> None: ...

    def get(self, collection: str, key: str) -> Any | None:
        """Return the document under `key`, or ``None``."""
        ...

    def put(self, collection: str, key: str, document: Any) -> None:
        """Store `document` (JSON data) under `key`, replacing what was there."""
        ...

    def delete(self, collection: str, key: str) -> None:
        """Remove the document under `key`, if any."""
        ...

    def documents(self, collection: str) -> dict[str, Any]:
        """Return every document of `collection`, by key."""
        ...

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Call `callback` once this transaction has committed, unless replaying."""
        ...


class Lease(Protocol):
    """The right to run one projection: held by one runner at a time, taken over on death."""

    def acquire(self) -> bool:
        """Take or keep the lease; return whether this runner holds it now."""
        ...

    def release(self) -> None:
        """Give the lease up, so that a standby runner takes over at once."""
        ...


class Listener(Protocol):
    """Wake-ups for runners: new events may be there to read."""

    def wait(self, timeout: float) -> None:
        """Return when events were committed since the last return, or after `timeout` s."""
        ...


class ProjectionStore(EventStore, Protocol):
    """An event store that also keeps projections' read models, checkpoints and leases."""

    def projecting(
        self,
        projection: str,
        *,
        generation: int,
        checkpoint: str,
        after: int,
        to: int,
        replaying: bool = False,
    ) -> AbstractContextManager[ProjectionTransaction]:
        """Open a transaction that moves `checkpoint` from `after` to `to` when it commits.

        Raises `CheckpointConflictError` (and stores nothing) when the checkpoint is no
        longer at `after`: another instance or a rebuild moved it first; or, for the live
        checkpoint (named `projection`), when readers no longer see `generation`: a
        rebuild was swapped in since the runner read it, and the batch would be lost.
        """
        ...

    def park(
        self,
        projection: str,
        event: RecordedEvent,
        *,
        generation: int,
        checkpoint: str,
        after: int,
        attempts: int,
        error: str,
    ) -> None:
        """Move `event` to the dead-letter table and `checkpoint` from `after` past it, at once.

        Raises `CheckpointConflictError` (and parks nothing) if the checkpoint moved, or if
        it is the live one and readers no longer see `generation`, as `projecting` does.
        """
        ...

    def dead_letters(self, projection: str) -> list[DeadLetter]:
        """Return the events `projection` parked, oldest first."""
        ...

    def generation(self, projection: str) -> int:
        """Return the generation of read models readers see (1 until a rebuild swaps one in)."""
        ...

    def start_rebuild(self, projection: str) -> int:
        """Return a fresh generation to rebuild into, with no documents and no checkpoint."""
        ...

    def swap(self, projection: str, generation: int) -> None:
        """Make a rebuilt `generation` the one readers see, and its checkpoint the live one.

        Raises `CheckpointConflictError` (and swaps nothing) when the live checkpoint has
        applied events the rebuilt one has not: readers would see older documents, and a
        live runner would apply those events again. Catch the rebuild up and swap again.
        """
        ...

    def reached(self, projection: str, position: int) -> bool:
        """Return whether `projection` has applied (or passed) the event at `position`."""
        ...

    def status(self, projection: str, *, stalled_after: float = 0.2) -> ProjectionStatus:
        """Return `projection`'s lag, and whether events are held back longer than that."""
        ...

    def lease(self, projection: str, *, ttl: float) -> Lease:
        """Return the lease of `projection`; a dead holder loses it after at most `ttl` s."""
        ...

    def listen(self) -> AbstractContextManager[Listener]:
        """Return wake-ups for new events (notifications, or in-process signals)."""
        ...

    def document(self, projection: str, collection: str, key: str) -> Any | None:
        """Return a document of `projection`'s current read models, or ``None``."""
        ...

    def documents(self, projection: str, collection: str) -> dict[str, Any]:
        """Return every document of a collection of `projection`'s current read models."""
        ...
