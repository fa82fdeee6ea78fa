"""Repositories (async colour) for aggregates mapped with SQLAlchemy's ORM.

The aggregate class is mapped imperatively or declaratively by you; this repository keeps
tactica's session semantics on top of the ORM session: an identity map, changes detected
from a snapshot (so an event recorded, or a change deep inside a JSON column, counts), and
a version check on every write. SQLAlchemy writes the rows with
``UPDATE ... WHERE version = :expected`` and reports a row that did not match, which
becomes `ConcurrencyError`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import attributes
from sqlalchemy.orm.exc import StaleDataError

from tactica.codec import JsonCodec
from tactica.errors import AggregateAlreadyExistsError, AggregateNotFoundError, ConcurrencyError
from tactica.stores._tracked_async import AsyncSQLTrackedRepository
from tactica.stores.sqlalchemy._compat import AsyncSession, async_plain_session
from tactica.stores.sqlalchemy._connection_async import AsyncSQLAlchemyConnection, translating
from tactica.stores.sqlalchemy._mapping import mapped_aggregate
from tactica.uow._session import PendingWrite, SessionTracker, WriteKind, conflict

__all__ = ["AsyncSQLAlchemyRepository"]

TAggregate = TypeVar("TAggregate")
TId = TypeVar("TId")


class AsyncSQLAlchemyRepository(AsyncSQLTrackedRepository[TAggregate, TId]):
    """Stores ORM-mapped aggregates through a SQLAlchemy session; one instance is one session.

    It passes the same contract as every other repository. Objects it hands out belong to
    the session, and two of the session's settings are turned off: ``autoflush``, because
    tactica decides when aggregates are written (at commit, with their new version; an
    early flush of a changed aggregate would also take SQLite's write lock while the unit
    of work is still reading), and ``expire_on_commit``, because tactica tracks their state
    itself and an expired object would have to be read again mid-commit.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        session: AsyncSession,
        *,
        codec: JsonCodec | None = None,
        connection: AsyncSQLAlchemyConnection | None = None,
    ) -> None:
        """Store `aggregate_type` (mapped with a version column) through `session`.

        A unit of work passes its own `connection` on that session, so that the
        repository is closed with it.
        """
        self.aggregate_type = aggregate_type
        self.mapping = mapped_aggregate(aggregate_type)
        self.session = session
        self._session_connection = connection or AsyncSQLAlchemyConnection(session)
        self.connection = self._session_connection
        settings = async_plain_session(session)
        settings.autoflush = False
        settings.expire_on_commit = False
        self.codec = codec or JsonCodec()
        self.tracker: SessionTracker[TAggregate] = SessionTracker(self.codec.encode)

    async def write(self) -> list[PendingWrite[TAggregate]]:
        """Make this session's writes in the session's open transaction; raise on conflict."""
        writes = self.tracker.pending_writes()
        inserted = [write.aggregate_id for write in writes if write.kind is WriteKind.INSERT]
        with translating():
            if inserted:
                await self._refuse_existing(inserted)
            for write in writes:
                await self._stage(write)
            try:
                await self._session_connection.live_session().flush()
            except StaleDataError as error:
                raise self._stale(writes) from error
        return writes

    async def _load(self, aggregate_id: Any) -> tuple[TAggregate, int] | None:
        with translating():
            aggregate = await self._session_connection.live_session().get(
                self.aggregate_type, aggregate_id
            )
        if aggregate is None:
            return None
        version: int = getattr(aggregate, "version")  # noqa: B009 - mapped, not declared
        return aggregate, version

    async def _refuse_existing(self, aggregate_ids: list[Any]) -> None:
        found = await self._session_connection.live_session().execute(
            select(self.mapping.id_column).where(self.mapping.id_column.in_(aggregate_ids))
        )
        existing = found.scalars().first()
        if existing is not None:
            raise AggregateAlreadyExistsError(self.aggregate_type.__qualname__, existing)

    async def _stage(self, write: PendingWrite[TAggregate]) -> None:
        aggregate: Any = write.aggregate
        if write.kind is WriteKind.INSERT:
            aggregate.version = write.expected_version + 1
            self.session.add(aggregate)
            return
        if write.kind is WriteKind.UPDATE:
            # Every column is written: the snapshot saw a change that the ORM may not see,
            # such as a value changed in place inside a JSON column, or only a new event.
            aggregate.version = write.expected_version + 1
            for key in self.mapping.column_keys:
                attributes.flag_modified(aggregate, key)
            return
        await self._stage_delete(write)

    async def _stage_delete(self, write: PendingWrite[TAggregate]) -> None:
        name = self.aggregate_type.__qualname__
        target: Any = write.aggregate
        if target not in async_plain_session(self.session):
            target = await self._session_connection.live_session().get(
                self.aggregate_type, write.aggregate_id
            )
            if target is None:
                if write.expected_version == 0:
                    raise AggregateNotFoundError(name, write.aggregate_id)
                raise conflict(name, write.aggregate_id, write.expected_version, None)
            if target.version != write.expected_version:
                raise conflict(name, write.aggregate_id, write.expected_version, target.version)
        await self._session_connection.live_session().delete(target)

    def _stale(self, writes: list[PendingWrite[TAggregate]]) -> ConcurrencyError:
        checked = [write for write in writes if write.kind is not WriteKind.INSERT]
        name = self.aggregate_type.__qualname__
        if len(checked) == 1:
            only = checked[0]
            return ConcurrencyError(
                f"{name} {only.aggregate_id!r} was changed or deleted concurrently since this "
                f"copy was read at version {only.expected_version}; reload and retry"
            )
        listed = ", ".join(f"{write.aggregate_id!r}" for write in checked)
        return ConcurrencyError(
            f"one of the {name} aggregates {listed} was changed or deleted concurrently since "
            "it was read; reload and retry"
        )
