# Generated from _es_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The event-sourced repository inside a SQL unit of work (sync colour)."""

from __future__ import annotations

from typing import TypeVar, cast

from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.errors import ConcurrencyError, WrongExpectedVersionError
from tactica.eventsourcing._checks import snapshot_policy
from tactica.eventsourcing._repository_sync import EventSourcedRepository
from tactica.ports._events import AppendResult, Expected, NewEvent, checked_appends
from tactica.ports._snapshots_sync import SnapshotStore
from tactica.stores._sql._event_store_sync import (
    SQLEventStore,
    kept_connection,
    write_appends,
)
from tactica.stores._sql._protocol_sync import SQLConnection

__all__ = ["SQLEventSourcedRepository"]

_CheckedAppend = tuple[str, tuple[NewEvent, ...], Expected]

A = TypeVar("A")
TId = TypeVar("TId")


class SQLEventSourcedRepository(EventSourcedRepository[A, TId]):
    """An event-sourced repository inside a SQL unit of work: appends in its transaction.

    Reads go through the unit of work's connection; `write` appends every pending stream
    in the transaction the unit of work opened, next to its state rows and outbox rows.
    """

    def __init__(
        self,
        aggregate_type: type[A],
        connection: SQLConnection,
        *,
        codec: JsonCodec | None = None,
        upcasters: Upcasters | None = None,
        stream_prefix: str | None = None,
        snapshots: SnapshotStore | bool | None = None,
        snapshot_every: int | None = None,
    ) -> None:
        """Keep `aggregate_type` in the event tables that `connection` reaches.

        ``snapshots=True``, or a `snapshot_every` alone, keeps snapshots in the same
        database; a snapshot store keeps them there instead (see `snapshot_policy`).
        """
        store = SQLEventStore(kept_connection(connection))
        keeper, every = snapshot_policy(
            cast("SnapshotStore", store), snapshots=snapshots, snapshot_every=snapshot_every
        )
        super().__init__(
            aggregate_type,
            store,
            codec=codec,
            upcasters=upcasters,
            stream_prefix=stream_prefix,
            snapshots=keeper,
            snapshot_every=every,
        )
        self.connection = connection
        self._prepared: list[_CheckedAppend] | None = None

    def prepare(self) -> None:
        """Encode and check the pending events before the unit of work's transaction begins.

        An event the codec cannot encode or read back is refused here, before the unit of
        work writes anything (state rows included); `write` then appends what was prepared.
        """
        self._prepared = checked_appends(self.pending_appends())

    def write(self) -> list[AppendResult]:
        """Append the pending events in the caller's open transaction; raise on conflict."""
        appends, self._prepared = self._prepared, None
        if appends is None:
            appends = checked_appends(self.pending_appends())
        try:
            return write_appends(self.connection, appends)
        except WrongExpectedVersionError as error:
            raise self.conflict(error) from error
        except self.connection.unique_violation as error:
            streams = ", ".join(repr(stream_id) for stream_id, _, _ in appends)
            msg = f"another writer appended to {streams} concurrently; reload and retry"
            raise ConcurrencyError(msg) from error

    def rollback(self) -> None:
        """Forget every uncommitted change and stop tracking; load again to go on."""
        self._prepared = None
        super().rollback()
