"""Projections on the in-memory event store (async colour): staged changes, applied at once."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from tactica.domain.ids import uuid7
from tactica.ports._events import RecordedEvent
from tactica.ports._projection_records import (
    DeadLetter,
    ProjectionStatus,
    TransactionBookkeeping,
    checked_document_key,
    checked_projection_name,
    decode_document,
    encode_document,
)
from tactica.stores._wakeups import AsyncInProcessListener
from tactica.stores.memory._event_log import InMemoryEventLog
from tactica.stores.memory._read_models import Collection

__all__ = ["AsyncInMemoryLease", "AsyncInMemoryProjectionTransaction", "AsyncInMemoryProjections"]


class AsyncInMemoryProjectionTransaction(TransactionBookkeeping):
    """A batch's read-model changes, staged until the batch commits with its checkpoint."""

    def __init__(
        self, log: InMemoryEventLog, projection: str, generation: int, *, replaying: bool
    ) -> None:
        """Stage changes to `projection`'s read models of `generation` in `log`."""
        super().__init__(replaying=replaying)
        self._log = log
        self._projection = projection
        self._generation = generation
        self.staged: dict[Collection, dict[str, bytes | None]] = {}

    def _collection(self, collection: str, key: str) -> Collection:
        checked_document_key(collection, key)
        return (self._projection, self._generation, collection)

    async def get(self, collection: str, key: str) -> Any | None:
        """Return the document under `key`, or ``None``."""
        where = self._collection(collection, key)
        staged = self.staged.get(where, {})
        data = staged[key] if key in staged else self._log.stored_document(where, key)
        return None if data is None else decode_document(data)

    async def put(self, collection: str, key: str, document: Any) -> None:
        """Store `document` (JSON data) under `key`, replacing what was there."""
        where = self._collection(collection, key)
        self.staged.setdefault(where, {})[key] = encode_document(collection, key, document)

    async def delete(self, collection: str, key: str) -> None:
        """Remove the document under `key`, if any."""
        self.staged.setdefault(self._collection(collection, key), {})[key] = None

    async def documents(self, collection: str) -> dict[str, Any]:
        """Return every document of `collection`, by key."""
        where = self._collection(collection, "-")
        merged: dict[str, bytes | None] = {**self._log.stored_documents(where)}
        merged.update(self.staged.get(where, {}))
        return {key: decode_document(data) for key, data in merged.items() if data is not None}


class AsyncInMemoryLease:
    """A lease held in the log: one holder at a time, free again `ttl` s after its last renewal."""

    def __init__(self, log: InMemoryEventLog, name: str, ttl: float) -> None:
        """Lease `name` in `log` for `ttl` s at a time."""
        self._log = log
        self._name = name
        self._ttl = ttl
        self._holder = str(uuid7())

    async def acquire(self) -> bool:
        """Take or keep the lease; return whether this runner holds it now."""
        return self._log.take_lease(self._name, self._holder, self._ttl)

    async def release(self) -> None:
        """Give the lease up, so that a standby runner takes over at once."""
        self._log.drop_lease(self._name, self._holder)


class AsyncInMemoryProjections:
    """The projection port of the in-memory event store."""

    log: InMemoryEventLog

    @asynccontextmanager
    async def projecting(
        self,
        projection: str,
        *,
        generation: int,
        checkpoint: str,
        after: int,
        to: int,
        replaying: bool = False,
    ) -> AsyncGenerator[AsyncInMemoryProjectionTransaction]:
        """Open a transaction that moves `checkpoint` from `after` to `to` when it commits."""
        checked_projection_name(projection)
        tx = AsyncInMemoryProjectionTransaction(
            self.log, projection, generation, replaying=replaying
        )
        yield tx
        self.log.apply_projection(
            checkpoint, after, to, tx.staged, projection=projection, generation=generation
        )
        for callback in tx.callbacks:
            callback()

    async def park(
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
        """Move `event` to the dead-letter table and the checkpoint past it, atomically."""
        letter = DeadLetter(
            projection=projection,
            position=event.position,
            stream_id=event.stream_id,
            event_id=event.event_id,
            type_name=event.type_name,
            attempts=attempts,
            error=error,
            parked_at=datetime.now(UTC),
        )
        self.log.park(checkpoint, after, letter, generation=generation)

    async def dead_letters(self, projection: str) -> list[DeadLetter]:
        """Return the events `projection` parked, oldest first."""
        return self.log.dead_letters(projection)

    async def generation(self, projection: str) -> int:
        """Return the generation of read models readers see (1 until a rebuild swaps one in)."""
        return self.log.generation(projection)

    async def start_rebuild(self, projection: str) -> int:
        """Return a fresh generation to rebuild into, with no documents and no checkpoint."""
        return self.log.start_rebuild(checked_projection_name(projection))

    async def swap(self, projection: str, generation: int) -> None:
        """Make a rebuilt `generation` the one readers see, and its checkpoint the live one.

        Raises `CheckpointConflictError` when the live checkpoint is ahead of the rebuilt one.
        """
        self.log.swap(projection, generation)

    async def reached(self, projection: str, position: int) -> bool:
        """Return whether `projection` has applied (or passed) the event at `position`."""
        return self.log.checkpoint(projection) >= position

    async def status(self, projection: str, *, stalled_after: float = 0.2) -> ProjectionStatus:
        """Return `projection`'s lag; nothing ever holds in-memory events back."""
        del stalled_after
        return self.log.status(projection)

    def lease(self, projection: str, *, ttl: float) -> AsyncInMemoryLease:
        """Return the lease of `projection`; a dead holder loses it after at most `ttl` s."""
        return AsyncInMemoryLease(self.log, projection, ttl)

    def listen(self) -> AbstractAsyncContextManager[AsyncInProcessListener]:
        """Return wake-ups for the log's commits."""
        return _listening(AsyncInProcessListener(self.log.wakeups))

    async def document(self, projection: str, collection: str, key: str) -> Any | None:
        """Return a document of `projection`'s current read models, or ``None``."""
        checked_document_key(collection, key)
        where = (projection, self.log.generation(projection), collection)
        data = self.log.stored_document(where, key)
        return None if data is None else decode_document(data)

    async def documents(self, projection: str, collection: str) -> dict[str, Any]:
        """Return every document of a collection of `projection`'s current read models."""
        checked_document_key(collection, "-")
        where = (projection, self.log.generation(projection), collection)
        stored = self.log.stored_documents(where)
        return {key: decode_document(data) for key, data in stored.items()}


@asynccontextmanager
async def _listening(listener: AsyncInProcessListener) -> AsyncGenerator[AsyncInProcessListener]:
    yield listener
