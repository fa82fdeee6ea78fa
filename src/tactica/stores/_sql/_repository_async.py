"""The SQL repository (async colour) for state-stored aggregates, on SQLite or PostgreSQL.

Each aggregate is one row: its type's storage name (``name=`` in the class statement, else
its qualified name; never its import path), its id, its version and its state as JSON.
Writes are checked against the version the session read (``UPDATE ... WHERE version = ?``),
inside one transaction per commit, so a stale write stores nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.errors import (
    AggregateAlreadyExistsError,
    AggregateNotFoundError,
    UnregisteredAggregateTypeError,
)
from tactica.stores._sql._protocol_async import AsyncSQLConnection
from tactica.stores._tracked_async import AsyncSQLTrackedRepository
from tactica.uow._session import (
    PendingWrite,
    SessionTracker,
    StorageNames,
    WriteKind,
    conflict,
)

__all__ = ["AsyncSQLRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


def _key(aggregate_id: object) -> str:
    return str(aggregate_id)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class AsyncSQLRepository(AsyncSQLTrackedRepository[TAggregate, TId]):
    """Stores aggregates as JSON rows in a SQL database; one instance is one session of work.

    It behaves exactly like the in-memory repository (both pass the same contract): an
    identity map, only changed aggregates written, stale writes refused with
    `ConcurrencyError`, tracking that survives `commit`.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        connection: AsyncSQLConnection,
        *,
        codec: JsonCodec | None = None,
        type_name: str | None = None,
    ) -> None:
        """Store `aggregate_type` through `connection`.

        Rows are keyed by the class's storage name, or by `type_name` when given; rows
        under the class's ``aliases`` are read too, and move to that name when next written.
        """
        self.aggregate_type = aggregate_type
        self.connection = connection
        self.codec = codec or JsonCodec()
        self.names = StorageNames.of(aggregate_type, type_name)
        self.type_name = self.names.name
        self.tracker: SessionTracker[TAggregate] = SessionTracker(self.codec.encode)
        self._sources: dict[Any, str] = {}
        names = self.names.read
        # Only placeholders are interpolated: the names themselves are parameters.
        self._select = (
            "SELECT aggregate_type, version, state FROM tactica_aggregates "  # noqa: S608
            f"WHERE aggregate_type IN ({_marks(len(names))}) AND aggregate_id = ?"
            if len(names) > 1
            else "SELECT version, state FROM tactica_aggregates "
            "WHERE aggregate_type = ? AND aggregate_id = ?"
        )

    async def write(self) -> list[PendingWrite[TAggregate]]:
        """Make this session's writes in the caller's open transaction; raise on conflict."""
        writes = self.tracker.pending_writes()
        for write in writes:
            await self._write_one(write)
        return writes

    def acknowledge(self, writes: list[PendingWrite[TAggregate]]) -> None:
        """Record that `writes` were committed: rows read under an alias now have the name."""
        super().acknowledge(writes)
        for write in writes:
            self._sources.pop(write.aggregate_id, None)

    async def _load(self, aggregate_id: Any) -> tuple[TAggregate, int] | None:
        self._sources.pop(aggregate_id, None)
        names = self.names.read
        rows = await self.connection.fetch(self._select, (*names, _key(aggregate_id)))
        if not rows:
            return None
        if len(names) == 1:
            version, state = rows[0]
            aggregate: TAggregate = self.codec.decode(state, self.aggregate_type)
            return aggregate, version
        # The written name wins over an alias, an alias over a former name.
        row_type, version, state = min(rows, key=lambda row: names.index(row[0]))
        if row_type in self.names.former:
            raise UnregisteredAggregateTypeError(row_type, self.type_name, aggregate_id)
        if row_type != self.type_name:
            self._sources[aggregate_id] = row_type
        aggregate = self.codec.decode(state, self.aggregate_type)
        return aggregate, version

    async def _write_one(self, write: PendingWrite[TAggregate]) -> None:
        source = self._sources.get(write.aggregate_id, self.type_name)
        key = (source, _key(write.aggregate_id))
        expected = write.expected_version
        if write.kind is WriteKind.INSERT:
            await self._refuse_aliased(write)
            key = (self.type_name, key[1])
            try:
                await self.connection.execute(
                    "INSERT INTO tactica_aggregates (aggregate_type, aggregate_id, version, state)"
                    " VALUES (?, ?, ?, ?)",
                    (*key, expected + 1, self.codec.encode(write.aggregate)),
                )
            except self.connection.unique_violation:
                raise AggregateAlreadyExistsError(
                    self.aggregate_type.__qualname__, write.aggregate_id
                ) from None
            return
        if write.kind is WriteKind.UPDATE and source != self.type_name:
            changed = await self.connection.execute(
                "UPDATE tactica_aggregates SET aggregate_type = ?, version = ?, state = ? "
                "WHERE aggregate_type = ? AND aggregate_id = ? AND version = ?",
                (self.type_name, expected + 1, self.codec.encode(write.aggregate), *key, expected),
            )
        elif write.kind is WriteKind.UPDATE:
            changed = await self.connection.execute(
                "UPDATE tactica_aggregates SET version = ?, state = ? "
                "WHERE aggregate_type = ? AND aggregate_id = ? AND version = ?",
                (expected + 1, self.codec.encode(write.aggregate), *key, expected),
            )
        else:
            changed = await self.connection.execute(
                "DELETE FROM tactica_aggregates "
                "WHERE aggregate_type = ? AND aggregate_id = ? AND version = ?",
                (*key, expected),
            )
        if changed == 1:
            return
        if write.kind is WriteKind.DELETE and expected == 0:
            raise AggregateNotFoundError(self.aggregate_type.__qualname__, write.aggregate_id)
        rows = await self.connection.fetch(
            "SELECT version FROM tactica_aggregates WHERE aggregate_type = ? AND aggregate_id = ?",
            key,
        )
        stored: Any = rows[0][0] if rows else None
        raise conflict(self.aggregate_type.__qualname__, write.aggregate_id, expected, stored)

    async def _refuse_aliased(self, write: PendingWrite[TAggregate]) -> None:
        """Refuse a new aggregate whose id is stored under one of the class's aliases."""
        aliases = self.names.aliases
        if not aliases:
            return
        rows = await self.connection.fetch(
            "SELECT 1 FROM tactica_aggregates "  # noqa: S608 - placeholders only
            f"WHERE aggregate_type IN ({_marks(len(aliases))}) AND aggregate_id = ?",
            (*aliases, _key(write.aggregate_id)),
        )
        if rows:
            raise AggregateAlreadyExistsError(self.aggregate_type.__qualname__, write.aggregate_id)
