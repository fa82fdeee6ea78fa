# Generated from _projections_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Projections on the SQL event stores (sync colour): read models beside the events.

A batch runs in one transaction on one of the store's connections: the checkpoint moves
first (compare-and-set, so a competing runner fails fast and stores nothing), then the
handlers' document changes, then COMMIT.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Callable
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tactica.domain.ids import uuid7
from tactica.errors import CheckpointConflictError
from tactica.ports._events import RecordedEvent
from tactica.ports._projection_records import (
    DeadLetter,
    ProjectionStatus,
    TransactionBookkeeping,
    checked_document_key,
    checked_projection_name,
    decode_document,
    encode_document,
    generation_checkpoint,
    rebuild_behind,
    stale_generation,
)
from tactica.ports._projections_sync import Lease, Listener
from tactica.stores._sql._dialect import dialect_named
from tactica.stores._sql._projection_rows import (
    CLAIM_LEASE,
    DELETE_DOCUMENT,
    DOCUMENT,
    DOCUMENTS,
    DROP_LEASE,
    GENERATION,
    HELD_BACK,
    INSERT_CHECKPOINT,
    LOCK_CHECKPOINT,
    LOCK_HOLDER,
    MOVE_CHECKPOINT,
    NEXT_GENERATION,
    OLDEST_TRANSACTION,
    PARK,
    PUT_DOCUMENT,
    applied_between_query,
    as_time,
    head_query,
    horizon_stall,
    inline_turn_key,
    lock_stall,
    pending_query,
    reached_query,
    read_order_parameters,
)
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores._wakeups import InProcessListener, Wakeups

__all__ = [
    "SQLLease",
    "SQLProjectionTransaction",
    "SQLProjections",
    "move_checkpoint",
]

Lend = Callable[[], AbstractContextManager[SQLConnection]]


def move_checkpoint(
    connection: SQLConnection,
    checkpoint: str,
    after: int,
    to: int,
    *,
    projection: str,
    generation: int,
) -> None:
    """Move `checkpoint` from `after` to `to` in the open transaction, or raise if it moved.

    The live checkpoint (named `projection`) moves only while readers see `generation`.
    """
    moved = connection.execute(MOVE_CHECKPOINT, (to, checkpoint, after))
    if moved == 0 and after == 0:
        moved = connection.execute(INSERT_CHECKPOINT, (checkpoint, to))
    if moved != 1:
        raise CheckpointConflictError(checkpoint, after)
    if checkpoint == projection:
        # Read after the checkpoint's row lock is ours: a swap changes the generation
        # only while it holds that lock, so this sees every swap that committed first.
        rows = connection.fetch(GENERATION, (projection,))
        current = int(rows[0][0]) if rows else 1
        if current != generation:
            raise stale_generation(projection, after, generation, current)


class SQLProjectionTransaction(TransactionBookkeeping):
    """A batch's transaction: documents of one projection generation, and the raw connection.

    Write tables of your own through ``tx.connection`` (``?`` placeholders): they commit
    with the documents and the checkpoint.
    """

    def __init__(
        self, connection: SQLConnection, projection: str, generation: int, *, replaying: bool
    ) -> None:
        """Work on `projection`'s read models of `generation`, in `connection`'s transaction."""
        super().__init__(replaying=replaying)
        self.connection = connection
        self._scope = (projection, generation)

    def get(self, collection: str, key: str) -> Any | None:
        """Return the document under `key`, or ``None``."""
        checked_document_key(collection, key)
        rows = self.connection.fetch(DOCUMENT, (*self._scope, collection, key))
        return decode_document(bytes(rows[0][0])) if rows else None

    def put(self, collection: str, key: str, document: Any) -> None:
        """Store `document` (JSON data) under `key`, replacing what was there."""
        checked_document_key(collection, key)
        data = encode_document(collection, key, document)
        self.connection.execute(PUT_DOCUMENT, (*self._scope, collection, key, data))

    def delete(self, collection: str, key: str) -> None:
        """Remove the document under `key`, if any."""
        checked_document_key(collection, key)
        self.connection.execute(DELETE_DOCUMENT, (*self._scope, collection, key))

    def documents(self, collection: str) -> dict[str, Any]:
        """Return every document of `collection`, by key."""
        checked_document_key(collection, "-")
        rows = self.connection.fetch(DOCUMENTS, (*self._scope, collection))
        return {key: decode_document(bytes(data)) for key, data in rows}


class SQLLease:
    """A lease row: one holder at a time, free again `ttl` s after its last renewal.

    Works across processes on one database file; a holder that dies loses the lease when
    its time runs out.
    """

    def __init__(self, connections: Lend, name: str, ttl: float) -> None:
        """Lease `name` through `connections` for `ttl` s at a time."""
        self._connections = connections
        self._name = name
        self._ttl = ttl
        self._holder = str(uuid7())

    def acquire(self) -> bool:
        """Take or keep the lease; return whether this runner holds it now."""
        now = time.time()
        taken = self._write(CLAIM_LEASE, (self._name, self._holder, now + self._ttl, now))
        return taken == 1

    def release(self) -> None:
        """Give the lease up, so that a standby runner takes over at once."""
        self._write(DROP_LEASE, (self._name, self._holder))

    def _write(self, statement: str, parameters: tuple[object, ...]) -> int:
        # Its own transaction: a connection that is not in autocommit (SQLAlchemy's) would
        # otherwise roll the lease back when it is given back.
        with self._connections() as connection:
            connection.begin()
            try:
                changed = connection.execute(statement, parameters)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        return changed


class SQLProjections:
    """The projection port of the SQL event stores."""

    _connections: Lend
    global_order: str
    wakeups: Wakeups

    def _horizon(self, connection: SQLConnection) -> bool:
        return dialect_named(connection.dialect).has_horizon and self.global_order == "horizon"

    @contextmanager
    def projecting(
        self,
        projection: str,
        *,
        generation: int,
        checkpoint: str,
        after: int,
        to: int,
        replaying: bool = False,
    ) -> Generator[SQLProjectionTransaction]:
        """Open a transaction that moves `checkpoint` from `after` to `to` when it commits."""
        checked_projection_name(projection)
        with self._connections() as connection:
            connection.begin()
            try:
                move_checkpoint(
                    connection, checkpoint, after, to, projection=projection, generation=generation
                )
                tx = SQLProjectionTransaction(
                    connection, projection, generation, replaying=replaying
                )
                yield tx
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        for callback in tx.callbacks:
            callback()

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
        """Move `event` to the dead-letter table and the checkpoint past it, atomically."""
        row = (
            projection,
            event.position,
            event.stream_id,
            str(event.event_id),
            event.type_name,
            attempts,
            error,
            datetime.now(UTC).isoformat(),
        )
        with self._connections() as connection:
            connection.begin()
            try:
                move_checkpoint(
                    connection,
                    checkpoint,
                    after,
                    event.position,
                    projection=projection,
                    generation=generation,
                )
                connection.execute(PARK, row)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

    def dead_letters(self, projection: str) -> list[DeadLetter]:
        """Return the events `projection` parked, oldest first."""
        with self._connections() as connection:
            rows = connection.fetch(
                "SELECT projection, position, stream_id, event_id, type_name, attempts, error,"
                " parked_at FROM tactica_dead_letters WHERE projection = ? ORDER BY parked_at",
                (projection,),
            )
        return [
            DeadLetter(
                projection=name,
                position=int(position),
                stream_id=stream_id,
                event_id=_uuid(event_id),
                type_name=type_name,
                attempts=int(attempts),
                error=error,
                parked_at=as_time(parked_at),
            )
            for name, position, stream_id, event_id, type_name, attempts, error, parked_at in rows
        ]

    def generation(self, projection: str) -> int:
        """Return the generation of read models readers see (1 until a rebuild swaps one in)."""
        with self._connections() as connection:
            rows = connection.fetch(GENERATION, (projection,))
        return int(rows[0][0]) if rows else 1

    def start_rebuild(self, projection: str) -> int:
        """Return a fresh generation to rebuild into, with no documents and no checkpoint."""
        checked_projection_name(projection)
        with self._connections() as connection:
            connection.begin()
            try:
                generation = int((connection.fetch(NEXT_GENERATION, (projection,)))[0][0])
                connection.execute(
                    "DELETE FROM tactica_documents WHERE projection = ? AND generation = ?",
                    (projection, generation),
                )
                connection.execute(
                    "DELETE FROM tactica_checkpoints WHERE name = ?",
                    (generation_checkpoint(projection, generation),),
                )
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        return generation

    def swap(self, projection: str, generation: int) -> None:
        """Make a rebuilt `generation` the one readers see, and its checkpoint the live one.

        Raises `CheckpointConflictError` when the live checkpoint is ahead of the rebuilt one.
        """
        rebuilt_name = generation_checkpoint(projection, generation)
        with self._connections() as connection:
            connection.begin()
            try:
                turn = dialect_named(connection.dialect).turn
                if turn is not None:
                    # Inline commits read the generation once their turn comes: after this.
                    connection.fetch(turn, (inline_turn_key(projection),))
                rebuilt = self._caught_up(connection, projection, rebuilt_name)
                connection.execute(
                    "UPDATE tactica_checkpoints SET position = ? WHERE name = ?",
                    (rebuilt, projection),
                )
                old = connection.fetch(GENERATION, (projection,))
                connection.execute(
                    "UPDATE tactica_projections SET generation = ? WHERE name = ?",
                    (generation, projection),
                )
                connection.execute(
                    "DELETE FROM tactica_checkpoints WHERE name = ?", (rebuilt_name,)
                )
                connection.execute(
                    "DELETE FROM tactica_documents WHERE projection = ? AND generation = ?",
                    (projection, int(old[0][0]) if old else 1),
                )
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

    def _caught_up(
        self, connection: SQLConnection, projection: str, rebuilt_name: str
    ) -> int:
        """Return the rebuilt checkpoint once it has applied all the live one has, or raise."""
        # The live checkpoint's row lock first: a live batch holding it commits before
        # the check below, and any later one sees the new generation.
        connection.execute(INSERT_CHECKPOINT, (projection, 0))
        connection.execute(LOCK_CHECKPOINT, (projection,))
        live = self._position(connection, projection)
        rebuilt = self._position(connection, rebuilt_name)
        if live != rebuilt and self._applied_between(connection, rebuilt, live):
            raise rebuild_behind(projection, rebuilt, live)
        return rebuilt

    def _position(self, connection: SQLConnection, checkpoint: str) -> int:
        rows = connection.fetch(
            "SELECT position FROM tactica_checkpoints WHERE name = ?", (checkpoint,)
        )
        return int(rows[0][0]) if rows else 0

    def _applied_between(
        self, connection: SQLConnection, earlier: int, later: int
    ) -> bool:
        horizon = self._horizon(connection)
        parameters = read_order_parameters(earlier, later, horizon=horizon)
        return bool(connection.fetch(applied_between_query(horizon=horizon), parameters))

    def reached(self, projection: str, position: int) -> bool:
        """Return whether `projection` has applied (or passed) the event at `position`."""
        if position <= 0:
            return True
        with self._connections() as connection:
            horizon = self._horizon(connection)
            rows = connection.fetch(reached_query(horizon=horizon), (projection, position))
        return int(rows[0][0]) > 0

    def status(self, projection: str, *, stalled_after: float = 0.2) -> ProjectionStatus:
        """Return `projection`'s lag, and whether events are held back longer than that.

        On PostgreSQL, ``pending`` and ``seconds_behind`` count the committed events that
        an open transaction still holds back from readers. With the xid8 horizon (the
        default), any transaction that has written anything, in any database of the
        cluster, holds every reader back while it is open; ``stall_reason`` names the
        oldest (backend pid, database, application, state, age), or, with the table
        lock, the lock's holder. Set ``idle_in_transaction_session_timeout`` on the server
        (or per role) to end transactions forgotten open: it bounds such stalls. Naming
        another role's backend needs the ``pg_read_all_stats`` role.
        """
        with self._connections() as connection:
            horizon = self._horizon(connection)
            rows = connection.fetch(
                "SELECT position FROM tactica_checkpoints WHERE name = ?", (projection,)
            )
            checkpoint = int(rows[0][0]) if rows else 0
            head = int((connection.fetch(head_query(horizon=horizon)))[0][0])
            after = read_order_parameters(checkpoint, horizon=horizon)
            pending, oldest = (connection.fetch(pending_query(horizon=horizon), after))[0]
            reason = self._stall_reason(connection, stalled_after)
        now = datetime.now(UTC)
        behind = (now - as_time(oldest)).total_seconds() if oldest is not None else 0.0
        return ProjectionStatus(
            name=projection,
            checkpoint=checkpoint,
            head=head,
            pending=int(pending),
            seconds_behind=max(behind, 0.0),
            stalled=reason is not None,
            stall_reason=reason,
        )

    def _stall_reason(
        self, connection: SQLConnection, stalled_after: float
    ) -> str | None:
        if dialect_named(connection.dialect).one_writer_at_a_time:
            return None  # readers see every commit, in position order: nothing is held back
        if self._horizon(connection):
            rows = connection.fetch(HELD_BACK, (stalled_after,))
            if int(rows[0][0]) > 0:
                holder = connection.fetch(OLDEST_TRANSACTION)
                return horizon_stall(holder[0] if holder else None)
        rows = connection.fetch(LOCK_HOLDER, (stalled_after,))
        return lock_stall(rows[0]) if rows else None

    def lease(self, projection: str, *, ttl: float) -> Lease:
        """Return the lease of `projection`: a lease row; a dead holder loses it after `ttl` s."""
        return SQLLease(self._connections, projection, ttl)

    def listen(self) -> AbstractContextManager[Listener]:
        """Return wake-ups for commits made in this process (others are found by polling)."""
        return _listening(InProcessListener(self.wakeups))

    def document(self, projection: str, collection: str, key: str) -> Any | None:
        """Return a document of `projection`'s current read models, or ``None``."""
        checked_document_key(collection, key)
        with self._connections() as connection:
            rows = connection.fetch(
                "SELECT d.document FROM tactica_documents d"
                " LEFT JOIN tactica_projections p ON p.name = d.projection"
                " WHERE d.projection = ? AND d.generation = COALESCE(p.generation, 1)"
                " AND d.collection = ? AND d.key = ?",
                (projection, collection, key),
            )
        return decode_document(bytes(rows[0][0])) if rows else None

    def documents(self, projection: str, collection: str) -> dict[str, Any]:
        """Return every document of a collection of `projection`'s current read models."""
        checked_document_key(collection, "-")
        with self._connections() as connection:
            rows = connection.fetch(
                "SELECT d.key, d.document FROM tactica_documents d"
                " LEFT JOIN tactica_projections p ON p.name = d.projection"
                " WHERE d.projection = ? AND d.generation = COALESCE(p.generation, 1)"
                " AND d.collection = ? ORDER BY d.key",
                (projection, collection),
            )
        return {key: decode_document(bytes(data)) for key, data in rows}


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@contextmanager
def _listening(listener: Listener) -> Generator[Listener]:
    yield listener
