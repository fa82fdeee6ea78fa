# Generated from _unit_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQL unit of work (sync colour): every tracked repository in one transaction."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from tactica._acompat import accepts_coroutines
from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.outbox import OutboxMessage
from tactica.ports._events import AppendResult
from tactica.ports._projection_like import ProjectionLike
from tactica.ports._snapshots_sync import SnapshotStore
from tactica.stores._inline_sync import checked_inline
from tactica.stores._sql._dialect import dialect_named
from tactica.stores._sql._es_repository_sync import SQLEventSourcedRepository
from tactica.stores._sql._outbox import INSERT_OUTBOX, outbox_row
from tactica.stores._sql._projection_rows import GENERATION, inline_turn_key
from tactica.stores._sql._projections_sync import SQLProjectionTransaction
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores._sql._repository_sync import SQLRepository
from tactica.uow._unit_sync import UnitOfWork

__all__ = ["SQLUnitOfWork", "checked_inline"]

R = TypeVar("R")


class _Closable(SQLConnection, Protocol):
    def close(self) -> None: ...


class SQLUnitOfWork(UnitOfWork):
    """A unit of work on one SQL connection: one transaction per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the unit of work
    closes `connection` when it is left, which gives a borrowed one (from a database that
    keeps connections, or a pool) back to its lender, rolled back.

    `inline` projections are updated inside the commit's transaction, from the events of
    the touched aggregates: their read models are never behind the state (strong
    consistency), at the price of running their handlers in every command's transaction;
    commits that feed one inline projection take turns (a transaction lock on
    PostgreSQL, the write lock on SQLite), so no update of a shared document is lost.
    They keep no checkpoint; rebuild one with a runner while no command runs.
    """

    def __init__(
        self,
        connection: _Closable,
        *,
        codec: JsonCodec | None = None,
        inline: Sequence[ProjectionLike] = (),
    ) -> None:
        """Work through `connection` (its schema must exist: `create_schema`)."""
        super().__init__(codec=codec)
        self.connection = connection
        self._inline = checked_inline(inline)

    def repository(
        self, aggregate_type: type[R], *, type_name: str | None = None
    ) -> SQLRepository[R, Any]:
        """Return a tracked repository of `aggregate_type` on this unit's connection."""
        return self.track(
            SQLRepository(
                aggregate_type, self.connection, codec=self.codec, type_name=type_name
            )
        )

    def event_sourced(
        self,
        aggregate_type: type[R],
        *,
        codec: JsonCodec | None = None,
        upcasters: Upcasters | None = None,
        stream_prefix: str | None = None,
        snapshots: SnapshotStore | bool | None = None,
        snapshot_every: int | None = None,
    ) -> SQLEventSourcedRepository[R, Any]:
        """Return a tracked repository of an event-sourced `aggregate_type` on this connection.

        Its new events are appended in this unit's transaction, with the state rows of the
        other repositories and the outbox rows. Snapshots follow the rule of every unit's
        ``event_sourced``: pass a snapshot store as `snapshots`, or ``snapshots=True`` or a
        `snapshot_every` alone to keep them in this database; a load that folds
        `snapshot_every` events (default 100) saves one.
        """
        return self.track(
            SQLEventSourcedRepository(
                aggregate_type,
                self.connection,
                codec=codec,
                upcasters=upcasters,
                stream_prefix=stream_prefix,
                snapshots=snapshots,
                snapshot_every=snapshot_every,
            )
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back what was not committed, then close (or give back) the connection."""
        try:
            super().__exit__(exc_type, exc, traceback)
        finally:
            self.connection.close()

    def _store(self, outbox: list[OutboxMessage]) -> int:
        for repository in self._repositories:
            if isinstance(repository, SQLEventSourcedRepository):
                repository.prepare()  # refuses an unreadable event before anything is written
        self.connection.begin()
        try:
            writes = [(repository, repository.write()) for repository in self._repositories]
            for message in outbox:
                self.connection.execute(INSERT_OUTBOX, outbox_row(message))
            callbacks = self._project_inline(self._pending_events())
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        for repository, written in writes:
            repository.acknowledge(written)
        for callback in callbacks:
            callback()
        return max(
            (r.position for _, written in writes for r in written if isinstance(r, AppendResult)),
            default=0,
        )

    def _project_inline(self, events: Sequence[object]) -> list[Callable[[], object]]:
        callbacks: list[Callable[[], object]] = []
        for name, handlers in self._inline:
            if not any(type(event) in handlers for event in events):
                continue
            turn = dialect_named(self.connection.dialect).turn
            if turn is not None:
                # Read, change, write of shared documents by concurrent commits: without
                # taking turns per projection, READ COMMITTED would lose updates.
                # A swap of a rebuilt generation takes the same turn, so the generation
                # read below is the one readers see until this commit ends.
                self.connection.fetch(turn, (inline_turn_key(name),))
            rows = self.connection.fetch(GENERATION, (name,))
            tx = SQLProjectionTransaction(
                self.connection, name, int(rows[0][0]) if rows else 1, replaying=False
            )
            for event in events:
                handler = handlers.get(type(event))
                if handler is not None:
                    result = handler(event, tx)
                    if accepts_coroutines and inspect.isawaitable(result):
                        result = result
            callbacks.extend(tx.callbacks)
        return callbacks
