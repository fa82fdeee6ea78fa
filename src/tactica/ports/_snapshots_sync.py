# Generated from _snapshots_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The snapshot port (sync colour): an aggregate's latest encoded state per stream."""

from __future__ import annotations

from typing import Protocol

from tactica.ports._events import Snapshot

__all__ = ["SnapshotStore"]


class SnapshotStore(Protocol):
    """Keeps the latest snapshot of each stream; event stores implement it too."""

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store `snapshot`, replacing the stream's previous one."""
        ...

    def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the stream's latest snapshot, or ``None``."""
        ...
