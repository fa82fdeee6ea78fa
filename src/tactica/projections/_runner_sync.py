# Generated from _runner_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The subscription runner (sync colour): catch up from the checkpoint, then follow live.

Each batch of events is applied in one transaction together with the move of the
projection's checkpoint, so an event has exactly one effect however the process dies.
Reads resume after the checkpoint through the store's gap-free global order.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tactica._acompat import accepts_coroutines, sleep
from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.errors import (
    CheckpointConflictError,
    ConfigurationError,
    DatabaseConnectionError,
    ProjectionError,
    ProjectionStoppedError,
    ProjectionTimeoutError,
    SerializationError,
)
from tactica.ports._events import RecordedEvent
from tactica.ports._projection_like import ProjectionLike
from tactica.ports._projection_records import ProjectionStatus, generation_checkpoint
from tactica.ports._projections_sync import ProjectionStore
from tactica.ports._streams import decode_events
from tactica.projections._projection import checked_handlers

__all__ = ["ProjectionRunner", "PoisonPolicy", "wait_for"]

PoisonPolicy = Literal["stop", "park"]
"""What a runner does with an event its handler keeps failing on: stop there, or park it."""

Progress = Callable[[int, int], object]

_log = logging.getLogger("tactica.projections")


@dataclass(slots=True)
class _Cursor:
    """Where a runner is: the read models it writes, and the checkpoint it moves."""

    checkpoint: str
    generation: int = 1
    position: int | None = None
    replaying: bool = False


class ProjectionRunner:
    """Runs one projection: catch-up from its checkpoint, then live, one instance at a time.

    Batches of up to `batch_size` events are applied in one transaction each, with the
    checkpoint. A handler error rolls its batch back; the events are then tried one by one,
    up to `max_attempts` times each with growing pauses; an event still failing (or one
    that cannot be decoded, at once) stops the runner (``poison="stop"``) or is parked in
    the dead-letter table and passed (``poison="park"``). Several runners of the same
    projection may be started: a lease lets one work while the others stand by, and the
    checkpoint's compare-and-set keeps even a runner that lost its lease from applying an
    event twice.
    """

    def __init__(
        self,
        store: ProjectionStore,
        projection: ProjectionLike,
        *,
        codec: JsonCodec,
        upcasters: Upcasters | None = None,
        batch_size: int = 100,
        poll_interval: float = 0.1,
        poison: PoisonPolicy = "stop",
        max_attempts: int = 3,
        retry_delay: float = 0.05,
        lease_ttl: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        """Run `projection` on `store`, decoding events with `codec` (and `upcasters`)."""
        if poison not in {"stop", "park"}:
            msg = f"poison must be 'stop' or 'park', not {poison!r}"
            raise ConfigurationError(msg)
        if batch_size < 1 or max_attempts < 1 or poll_interval <= 0 or lease_ttl <= 0:
            msg = (
                "batch_size and max_attempts must be at least 1, poll_interval and lease_ttl "
                f"above 0; got {batch_size}, {max_attempts}, {poll_interval}, {lease_ttl}"
            )
            raise ConfigurationError(msg)
        self.store = store
        self.name = projection.name
        self._codec = codec
        self._upcasters = upcasters
        self._handlers = _handlers_by_name(projection, codec)
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._poison = poison
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._lease_ttl = lease_ttl
        self._max_backoff = max_backoff
        self._stopping = False
        self._live = _Cursor(self.name)

    def stop(self) -> None:
        """Ask `run` to return after the batch in hand (within one poll interval)."""
        self._stopping = True

    def run(self) -> None:
        """Apply events as they come until `stop` is called; hold the lease while working.

        A lost database connection is logged and retried with growing pauses (up to
        `max_backoff` s), from the stored checkpoint. Raises `ProjectionStoppedError` when
        an event is poison and the policy is ``stop``.
        """
        self._stopping = False
        lease = self.store.lease(self.name, ttl=self._lease_ttl)
        backoff = self._poll_interval
        held, renew_at = False, 0.0
        try:
            with self.store.listen() as listener:
                while not self._stopping:
                    try:
                        if not held or time.monotonic() >= renew_at:
                            # Renewing a third into the lease keeps it without a write per poll.
                            held = lease.acquire()
                            renew_at = time.monotonic() + self._lease_ttl / 3
                        read = self._step(self._live) if held else 0
                    except DatabaseConnectionError as error:
                        _log.warning(
                            "projection %s: %s; retrying in %.2f s", self.name, error, backoff
                        )
                        held, self._live.position = False, None
                        sleep(backoff)
                        backoff = min(backoff * 2, self._max_backoff)
                        continue
                    backoff = self._poll_interval
                    if not held:
                        self._live.position = None
                    if read == 0:
                        listener.wait(self._poll_interval)
        finally:
            lease.release()

    def run_until_caught_up(self) -> int:
        """Apply every event there is now, then return how many were read (0: none, or no lease).

        For tests, scripts and read-your-writes in one process; `run` is the service loop.
        """
        lease = self.store.lease(self.name, ttl=self._lease_ttl)
        try:
            if not lease.acquire():
                return 0
            return self._until_caught_up(self._live, None)
        finally:
            lease.release()

    def rebuild(self, *, from_position: int = 0, progress: Progress | None = None) -> int:
        """Replay events after `from_position` into fresh read models, then swap them in.

        Readers keep seeing the current read models until the rebuilt ones have caught up;
        handlers see ``tx.replaying`` and their `on_commit` callbacks are not called.
        Live runners of the projection may go on meanwhile, in any process: the swap waits
        until the rebuild has applied every event they have (so readers never see older
        documents), and their next batch conflicts and goes on in the new generation.
        `progress` is called after each batch with (position reached, head at the start).
        Return how many events were read. Raises `ProjectionError` if the live checkpoint
        holds events the rebuild cannot read.
        """
        lease = self.store.lease(f"{self.name}.rebuild", ttl=self._lease_ttl)
        try:
            if not lease.acquire():
                msg = f"projection {self.name!r} is being rebuilt by another runner already"
                raise ProjectionError(msg)
            generation = self.store.start_rebuild(self.name)
            cursor = _Cursor(generation_checkpoint(self.name, generation), generation, 0)
            cursor.replaying = True
            if from_position > 0:
                # Stored, so that the swap hands the live runner this position even when
                # no event follows it.
                with self.store.projecting(
                    self.name,
                    generation=generation,
                    checkpoint=cursor.checkpoint,
                    after=0,
                    to=from_position,
                    replaying=True,
                ):
                    pass
                cursor.position = from_position
            head = (self.store.status(self.name)).head
            report = None if progress is None else (progress, head)
            read = self._until_caught_up(cursor, report)
            while True:
                try:
                    self.store.swap(self.name, generation)
                    break
                except CheckpointConflictError as conflict:
                    # A live runner applied events after the rebuild's last read: replay
                    # those too, so that readers never see the documents go back.
                    caught_up = self._until_caught_up(cursor, report)
                    if caught_up == 0:
                        msg = f"projection {self.name!r} cannot be swapped: {conflict}"
                        raise ProjectionError(msg) from conflict
                    read += caught_up
        finally:
            lease.release()
        self._live.position = None
        return read

    def status(self, *, stalled_after: float = 0.2) -> ProjectionStatus:
        """Return this projection's lag, and whether events are held back (see the store)."""
        return self.store.status(self.name, stalled_after=stalled_after)

    def _until_caught_up(self, cursor: _Cursor, progress: tuple[Progress, int] | None) -> int:
        read = 0
        while True:
            count = self._step(cursor)
            if progress is not None and cursor.position is not None:
                progress[0](cursor.position, progress[1])
            if count == 0:
                return read
            read += count

    def _step(self, cursor: _Cursor) -> int:
        if cursor.position is None:
            if not cursor.replaying:
                # A rebuild may have swapped a new generation in: batches for the old one
                # conflict (the live checkpoint moves only with the generation readers see).
                cursor.generation = self.store.generation(self.name)
            cursor.position = self.store.checkpoint(cursor.checkpoint)
        batch = self.store.read_all(after=cursor.position, limit=self._batch_size)
        if batch:
            try:
                self._apply(cursor, batch)
            except CheckpointConflictError:
                _log.info("projection %s: checkpoint moved by another runner", self.name)
                cursor.position = None
        return len(batch)

    def _apply(self, cursor: _Cursor, batch: Sequence[RecordedEvent]) -> None:
        try:
            self._commit(cursor, batch, self._decoded(batch))
        except (CheckpointConflictError, DatabaseConnectionError):
            raise
        except Exception:  # noqa: BLE001 - retried one by one, where the policy applies
            for record in batch:
                self._apply_one(cursor, record)

    def _apply_one(self, cursor: _Cursor, record: RecordedEvent) -> None:
        attempts = 0
        while True:
            attempts += 1
            try:
                self._commit(cursor, [record], self._decoded([record]))
            except (CheckpointConflictError, DatabaseConnectionError):
                # Not the event's fault: the caller (or `run`'s back-off) starts again from
                # the stored checkpoint, which moved only if the batch committed.
                raise
            except Exception as error:  # noqa: BLE001 - the poison policy decides, per event
                poison = isinstance(error, SerializationError) or attempts >= self._max_attempts
                if not poison:
                    sleep(self._retry_delay * 2 ** (attempts - 1))
                    continue
                self._poisoned(cursor, record, attempts, error)
            return

    def _poisoned(
        self, cursor: _Cursor, record: RecordedEvent, attempts: int, error: Exception
    ) -> None:
        text = f"{type(error).__name__}: {error}"
        if self._poison == "stop":
            raise ProjectionStoppedError(
                self.name, record.position, record.type_name, attempts, text
            ) from error
        _log.warning(
            "projection %s parked event %s at %d after %d attempt(s): %s",
            self.name,
            record.event_id,
            record.position,
            attempts,
            text,
        )
        assert cursor.position is not None
        self.store.park(
            self.name,
            record,
            generation=cursor.generation,
            checkpoint=cursor.checkpoint,
            after=cursor.position,
            attempts=attempts,
            error=text,
        )
        cursor.position = record.position

    def _decoded(self, batch: Sequence[RecordedEvent]) -> list[tuple[RecordedEvent, Any, Any]]:
        handled = [record for record in batch if record.type_name in self._handlers]
        events = decode_events(self._codec, self._upcasters, handled)
        return [
            (record, event, self._handlers[record.type_name])
            for record, event in zip(handled, events, strict=True)
        ]

    def _commit(
        self,
        cursor: _Cursor,
        batch: Sequence[RecordedEvent],
        work: list[tuple[RecordedEvent, Any, Any]],
    ) -> None:
        assert cursor.position is not None
        with self.store.projecting(
            self.name,
            generation=cursor.generation,
            checkpoint=cursor.checkpoint,
            after=cursor.position,
            to=batch[-1].position,
            replaying=cursor.replaying,
        ) as tx:
            for record, event, handler in work:
                tx.recorded = record
                result = handler(event, tx)
                if accepts_coroutines and inspect.isawaitable(result):
                    result = result
        cursor.position = batch[-1].position


def _handlers_by_name(projection: ProjectionLike, codec: JsonCodec) -> dict[str, Any]:
    handlers = checked_handlers(projection, awaits=accepts_coroutines, host="runner")
    return {codec.registry.name_of(event_type): handler for event_type, handler in handlers.items()}


def wait_for(
    store: ProjectionStore, projection: str, position: int, *, timeout: float = 5.0
) -> None:
    """Return once `projection` has applied the event at `position` (read-your-writes).

    `position` is what a commit returned (``AppendResult.position``). Raises
    `ProjectionTimeoutError` after `timeout` s, so a stopped or stalled runner never
    blocks a caller for ever.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not store.reached(projection, position):
        if time.monotonic() >= deadline:
            reached = store.checkpoint(projection)
            raise ProjectionTimeoutError(projection, position, timeout, reached)
        sleep(pause)
        pause = min(pause * 2, 0.05)
