"""An in-process snapshot cache (async colour): the latest state of hot aggregates in memory."""

from __future__ import annotations

import threading
from collections import OrderedDict

from tactica.eventsourcing._checks import MAX_VERSION, check_count
from tactica.ports._events import Snapshot

__all__ = ["AsyncSnapshotCache"]


class AsyncSnapshotCache:
    """Keeps the snapshots of the `max_entries` most recently used streams in this process.

    Give it to a repository as its ``snapshots`` to skip both the database read of a
    snapshot and most of the replay: a load decodes the cached state and fast-forwards it
    by the events stored since. Nothing is shared between processes, and a restart starts
    cold; the event stream stays the truth: a repository that finds a cached snapshot
    beyond the stream's head (or of another shape) discards it and caches a rebuilt one.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        """Hold at most `max_entries` snapshots, evicting the least recently used.

        Raises `ConfigurationError` unless `max_entries` is an int of at least 1.
        """
        self.max_entries = check_count("max_entries", max_entries, 1, MAX_VERSION)
        self._entries: OrderedDict[str, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` as its stream's latest, unless a newer one is cached."""
        with self._lock:
            cached = self._entries.get(snapshot.stream_id)
            if cached is None or cached.version <= snapshot.version:
                self._entries[snapshot.stream_id] = snapshot
            self._entries.move_to_end(snapshot.stream_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    async def discard_snapshot(self, stream_id: str) -> None:
        """Forget the cached snapshot of a stream (a repository found it unusable)."""
        with self._lock:
            self._entries.pop(stream_id, None)

    async def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the cached snapshot of a stream, or ``None``."""
        with self._lock:
            found = self._entries.get(stream_id)
            if found is not None:
                self._entries.move_to_end(stream_id)
            return found
