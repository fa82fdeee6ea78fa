"""Projection storage of the in-memory event log: PURE, checked and applied under its lock.

Read models are JSON documents per (projection, generation, collection); a batch's changes
and its checkpoint move are applied together, or not at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from tactica.errors import CheckpointConflictError
from tactica.ports._events import RecordedEvent
from tactica.ports._projection_records import (
    DeadLetter,
    ProjectionStatus,
    generation_checkpoint,
    rebuild_behind,
    stale_generation,
)

__all__ = ["Collection", "InMemoryReadModels", "InlineWrites", "Writes"]

Collection = tuple[str, int, str]
"""A read-model collection: (projection, generation, collection)."""

Writes = Mapping[Collection, Mapping[str, bytes | None]]
"""A batch's document changes: new JSON by key, or ``None`` for a deletion."""

InlineWrites = tuple[str, int, int, Writes]
"""An inline projection's changes: (projection, generation, turn, writes).

They were made by handlers that read the documents of `generation` while the
projection's turn counter (see `InMemoryReadModels.inline_turn`) was `turn`.
"""


class InMemoryReadModels:
    """The part of `InMemoryEventLog` that projections use; it shares the log's lock."""

    _lock: threading.Lock
    _all: list[RecordedEvent]
    _checkpoints: dict[str, int]

    def _init_read_models(self) -> None:
        self._documents: dict[Collection, dict[str, bytes]] = {}
        self._generations: dict[str, int] = {}
        self._last_generation: dict[str, int] = {}
        self._dead_letters: dict[str, list[DeadLetter]] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        # Counts every change of a projection's documents: inline handlers read, change and
        # write shared documents, so a commit applies their writes only if none changed since.
        self._turns: dict[str, int] = {}

    def _move_checkpoint(self, checkpoint: str, after: int, to: int) -> None:
        if self._checkpoints.get(checkpoint, 0) != after:
            raise CheckpointConflictError(checkpoint, after)
        self._checkpoints[checkpoint] = to

    def _fence(self, projection: str, checkpoint: str, after: int, generation: int) -> None:
        # The live checkpoint moves only with the generation readers see: a runner that
        # read the generation before a swap would otherwise go on writing the old one.
        current = self._generations.get(projection, 1)
        if checkpoint == projection and generation != current:
            raise stale_generation(projection, after, generation, current)

    def apply_projection(
        self,
        checkpoint: str,
        after: int,
        to: int,
        writes: Writes,
        *,
        projection: str,
        generation: int,
    ) -> None:
        """Move `checkpoint` from `after` to `to` and apply `writes`, or raise and do neither.

        `writes` are for `generation` of `projection`: the live checkpoint moves only while
        readers see that generation.
        """
        with self._lock:
            self._fence(projection, checkpoint, after, generation)
            self._move_checkpoint(checkpoint, after, to)
            self._write(projection, writes)

    def _write(self, projection: str, writes: Writes) -> None:
        self._turns[projection] = self._turns.get(projection, 0) + 1
        for collection, changes in writes.items():
            stored = self._documents.setdefault(collection, {})
            for key, document in changes.items():
                if document is None:
                    stored.pop(key, None)
                else:
                    stored[key] = document

    def inline_turn(self, projection: str) -> tuple[int, int]:
        """Return the generation readers of `projection` see and its turn counter.

        Inline handlers write to that generation; `apply_inline` takes their writes only
        while both are unchanged.
        """
        with self._lock:
            return self._generations.get(projection, 1), self._turns.get(projection, 0)

    def apply_inline(self, inline: Sequence[InlineWrites], then: Callable[[], None]) -> bool:
        """Apply inline projections' writes and call `then`, atomically, or do neither.

        Return ``False`` (having done nothing) when a projection's documents changed, or a
        rebuilt generation was swapped in, after its handlers read them: they must run
        again on what is stored now. `then` (the rest of the commit) must not raise.
        """
        with self._lock:
            for projection, generation, turn, _ in inline:
                if (self._generations.get(projection, 1), self._turns.get(projection, 0)) != (
                    generation,
                    turn,
                ):
                    return False
            then()
            for projection, _, _, writes in inline:
                self._write(projection, writes)
            return True

    def park(self, checkpoint: str, after: int, letter: DeadLetter, *, generation: int) -> None:
        """Keep `letter` and move `checkpoint` from `after` past its event, or do neither."""
        with self._lock:
            self._fence(letter.projection, checkpoint, after, generation)
            self._move_checkpoint(checkpoint, after, letter.position)
            self._dead_letters.setdefault(letter.projection, []).append(letter)

    def dead_letters(self, projection: str) -> list[DeadLetter]:
        """Return the events `projection` parked, oldest first."""
        with self._lock:
            return list(self._dead_letters.get(projection, ()))

    def stored_documents(self, collection: Collection) -> dict[str, bytes]:
        """Return a copy of a collection's committed documents."""
        with self._lock:
            return dict(self._documents.get(collection, {}))

    def stored_document(self, collection: Collection, key: str) -> bytes | None:
        """Return one committed document, or ``None``."""
        with self._lock:
            return self._documents.get(collection, {}).get(key)

    def generation(self, projection: str) -> int:
        """Return the generation readers of `projection` see."""
        with self._lock:
            return self._generations.get(projection, 1)

    def start_rebuild(self, projection: str) -> int:
        """Return a fresh generation of `projection`, empty and without a checkpoint."""
        with self._lock:
            current = self._generations.get(projection, 1)
            generation = max(current, self._last_generation.get(projection, 1)) + 1
            self._last_generation[projection] = generation
            for collection in [c for c in self._documents if c[:2] == (projection, generation)]:
                del self._documents[collection]
            self._checkpoints.pop(generation_checkpoint(projection, generation), None)
            return generation

    def swap(self, projection: str, generation: int) -> None:
        """Make `generation` the one readers see; its checkpoint becomes the live one.

        Raises `CheckpointConflictError` if the live checkpoint has applied events the
        rebuilt one has not.
        """
        with self._lock:
            old = self._generations.get(projection, 1)
            name = generation_checkpoint(projection, generation)
            rebuilt = self._checkpoints.get(name, 0)
            live = self._checkpoints.get(projection, 0)
            if self._applied_between(rebuilt, live):
                raise rebuild_behind(projection, rebuilt, live)
            self._checkpoints.pop(name, None)
            self._checkpoints[projection] = rebuilt
            self._generations[projection] = generation
            self._turns[projection] = self._turns.get(projection, 0) + 1
            for collection in [c for c in self._documents if c[:2] == (projection, old)]:
                del self._documents[collection]

    def _applied_between(self, rebuilt: int, live: int) -> bool:
        """Return whether an event lies after `rebuilt` and at or before `live`."""
        return rebuilt < min(live, len(self._all))

    def status(self, projection: str) -> ProjectionStatus:
        """Return how far `projection` is behind the log's head."""
        with self._lock:
            checkpoint = self._checkpoints.get(projection, 0)
            head = len(self._all)
            oldest = self._all[checkpoint].recorded_at if checkpoint < head else None
        behind = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        return ProjectionStatus(
            name=projection,
            checkpoint=checkpoint,
            head=head,
            pending=head - checkpoint,
            seconds_behind=max(behind, 0.0),
            stalled=False,
        )

    def take_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Give `holder` the lease `name` (for `ttl` s) if it is free, expired or its own."""
        now = time.monotonic()
        with self._lock:
            current = self._leases.get(name)
            if current is not None and current[0] != holder and current[1] > now:
                return False
            self._leases[name] = (holder, now + ttl)
            return True

    def drop_lease(self, name: str, holder: str) -> None:
        """Free the lease `name` if `holder` has it."""
        with self._lock:
            if self._leases.get(name, ("", 0.0))[0] == holder:
                del self._leases[name]
