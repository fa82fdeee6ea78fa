# Generated from _sql_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQL unit of work (sync colour): every tracked repository in one transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, TypeVar

from tactica.codec import JsonCodec
from tactica.outbox import OutboxMessage
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores._sql._repository_sync import SQLRepository
from tactica.uow._unit_sync import UnitOfWork

__all__ = ["SQLUnitOfWork"]

_INSERT_OUTBOX = (
    "INSERT INTO tactica_outbox (message_id, type_name, schema_version, payload, occurred_at,"
    " correlation_id, causation_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _outbox_row(message: OutboxMessage) -> tuple[object, ...]:
    return (
        str(message.message_id),
        message.type_name,
        message.schema_version,
        message.payload,
        message.occurred_at.isoformat(),
        None if message.correlation_id is None else str(message.correlation_id),
        None if message.causation_id is None else str(message.causation_id),
    )


R = TypeVar("R")


class _Closable(SQLConnection, Protocol):
    def close(self) -> None: ...


class SQLUnitOfWork(UnitOfWork):
    """A unit of work on one SQL connection: one transaction per commit.

    Make repositories with `repository` in your subclass's ``__init__``; the connection is
    the unit of work's own and is closed when the unit of work is left.
    """

    def __init__(self, connection: _Closable, *, codec: JsonCodec | None = None) -> None:
        """Work through `connection` (its schema must exist: `create_schema`)."""
        super().__init__(codec=codec)
        self.connection = connection

    def repository(
        self, aggregate_type: type[R], *, type_name: str | None = None
    ) -> SQLRepository[R, Any]:
        """Return a tracked repository of `aggregate_type` on this unit's connection."""
        return self.track(
            SQLRepository(
                aggregate_type, self.connection, codec=self.codec, type_name=type_name
            )
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back what was not committed, then close the connection."""
        try:
            super().__exit__(exc_type, exc, traceback)
        finally:
            self.connection.close()

    def _store(self, outbox: list[OutboxMessage]) -> None:
        self.connection.begin()
        try:
            writes = [(repository, repository.write()) for repository in self._repositories]
            for message in outbox:
                self.connection.execute(_INSERT_OUTBOX, _outbox_row(message))
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        for repository, written in writes:
            repository.acknowledge(written)
