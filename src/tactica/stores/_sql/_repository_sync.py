# Generated from _repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQL repository (sync colour) for state-stored aggregates, on SQLite or PostgreSQL.

Each aggregate is one row: its registered type, its id, its version and its state as JSON.
Writes are checked against the version the session read (``UPDATE ... WHERE version = ?``),
inside one transaction per commit, so a stale write stores nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.errors import AggregateAlreadyExistsError, AggregateNotFoundError
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores._tracked_sync import SQLTrackedRepository
from tactica.uow._session import PendingWrite, SessionTracker, WriteKind, conflict

__all__ = ["SQLRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


def _key(aggregate_id: object) -> str:
    return str(aggregate_id)


class SQLRepository(SQLTrackedRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows in a SQL database; one instance is one session of work.

    It behaves exactly like the in-memory repository (both pass the same contract): an
    identity map, only changed aggregates written, stale writes refused with
    `ConcurrencyError`, tracking that survives `commit`.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        connection: SQLConnection,
        *,
        codec: JsonCodec | None = None,
        type_name: str | None = None,
    ) -> None:
        """Store `aggregate_type` through `connection`; rows are keyed by `type_name`."""
        self.aggregate_type = aggregate_type
        self.connection = connection
        self.codec = codec or JsonCodec()
        self.type_name = type_name or f"{aggregate_type.__module__}:{aggregate_type.__qualname__}"
        self.tracker: SessionTracker[TAggregate] = SessionTracker(self.codec.encode)

    def write(self) -> list[PendingWrite[TAggregate]]:
        """Make this session's writes in the caller's open transaction; raise on conflict."""
        writes = self.tracker.pending_writes()
        for write in writes:
            self._write_one(write)
        return writes

    def _load(self, aggregate_id: Any) -> tuple[TAggregate, int] | None:
        rows = self.connection.fetch(
            "SELECT version, state FROM tactica_aggregates "
            "WHERE aggregate_type = ? AND aggregate_id = ?",
            (self.type_name, _key(aggregate_id)),
        )
        if not rows:
            return None
        version, state = rows[0]
        aggregate: TAggregate = self.codec.decode(state, self.aggregate_type)
        return aggregate, version

    def _write_one(self, write: PendingWrite[TAggregate]) -> None:
        key = (self.type_name, _key(write.aggregate_id))
        expected = write.expected_version
        if write.kind is WriteKind.INSERT:
            try:
                self.connection.execute(
                    "INSERT INTO tactica_aggregates (aggregate_type, aggregate_id, version, state)"
                    " VALUES (?, ?, ?, ?)",
                    (*key, expected + 1, self.codec.encode(write.aggregate)),
                )
            except self.connection.unique_violation:
                raise AggregateAlreadyExistsError(
                    self.aggregate_type.__qualname__, write.aggregate_id
                ) from None
            return
        if write.kind is WriteKind.UPDATE:
            changed = self.connection.execute(
                "UPDATE tactica_aggregates SET version = ?, state = ? "
                "WHERE aggregate_type = ? AND aggregate_id = ? AND version = ?",
                (expected + 1, self.codec.encode(write.aggregate), *key, expected),
            )
        else:
            changed = self.connection.execute(
                "DELETE FROM tactica_aggregates "
                "WHERE aggregate_type = ? AND aggregate_id = ? AND version = ?",
                (*key, expected),
            )
        if changed == 1:
            return
        if write.kind is WriteKind.DELETE and expected == 0:
            raise AggregateNotFoundError(self.aggregate_type.__qualname__, write.aggregate_id)
        rows = self.connection.fetch(
            "SELECT version FROM tactica_aggregates WHERE aggregate_type = ? AND aggregate_id = ?",
            key,
        )
        stored: Any = rows[0][0] if rows else None
        raise conflict(self.aggregate_type.__qualname__, write.aggregate_id, expected, stored)
