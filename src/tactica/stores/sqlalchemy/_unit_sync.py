# Generated from _unit_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQLAlchemy unit of work (sync colour): ORM objects, tactica's rows, one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_sync import SQLUnitOfWork, checked_inline
from tactica.stores.sqlalchemy._compat import Session
from tactica.stores.sqlalchemy._connection_sync import SQLAlchemyConnection
from tactica.stores.sqlalchemy._repository_sync import SQLAlchemyRepository

__all__ = ["SQLAlchemyUnitOfWork"]

R = TypeVar("R")


class SQLAlchemyUnitOfWork(SQLUnitOfWork):
    """A unit of work on a fresh SQLAlchemy session: one transaction per commit.

    Make repositories in your subclass's ``__init__``: `mapped` for aggregates you mapped
    with the ORM (imperatively or declaratively, with a version column), `repository` for
    aggregates stored as JSON rows in tactica's table. Anything else you add to `session`
    (read models, plain ORM objects) commits in the same transaction, and so do the outbox
    rows of integration events. The session is closed when the unit of work is left.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        codec: JsonCodec | None = None,
        inline: Sequence[ProjectionLike] = (),
    ) -> None:
        """Work in a new session from `session_factory` (a ``sessionmaker``, typically).

        tactica's tables must exist in that database: `create_schema`.
        """
        checked_inline(inline)  # before the session is made: a refusal leaves none
        self.session = session_factory()
        self._session_connection = SQLAlchemyConnection(self.session)
        super().__init__(self._session_connection, codec=codec, inline=inline)

    def mapped(self, aggregate_type: type[R]) -> SQLAlchemyRepository[R, Any]:
        """Return a tracked repository of an ORM-mapped `aggregate_type` on this session."""
        return self.track(
            SQLAlchemyRepository(
                aggregate_type, self.session, codec=self.codec, connection=self._session_connection
            )
        )
