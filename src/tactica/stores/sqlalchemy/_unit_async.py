"""The SQLAlchemy unit of work (async colour): ORM objects, tactica's rows, one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tactica.codec import JsonCodec
from tactica.ports._projection_like import ProjectionLike
from tactica.stores._sql._unit_async import AsyncSQLUnitOfWork, async_checked_inline
from tactica.stores.sqlalchemy._compat import AsyncSession
from tactica.stores.sqlalchemy._connection_async import AsyncSQLAlchemyConnection
from tactica.stores.sqlalchemy._repository_async import AsyncSQLAlchemyRepository

__all__ = ["AsyncSQLAlchemyUnitOfWork"]

R = TypeVar("R")


class AsyncSQLAlchemyUnitOfWork(AsyncSQLUnitOfWork):
    """A unit of work on a fresh SQLAlchemy session: one transaction per commit.

    Make repositories in your subclass's ``__init__``: `mapped` for aggregates you mapped
    with the ORM (imperatively or declaratively, with a version column), `repository` for
    aggregates stored as JSON rows in tactica's table. Anything else you add to `session`
    (read models, plain ORM objects) commits in the same transaction, and so do the outbox
    rows of integration events. The session is closed when the unit of work is left.
    """

    def __init__(
        self,
        session_factory: Callable[[], AsyncSession],
        *,
        codec: JsonCodec | None = None,
        inline: Sequence[ProjectionLike] = (),
    ) -> None:
        """Work in a new session from `session_factory` (a ``sessionmaker``, typically).

        tactica's tables must exist in that database: `async_create_schema`.
        """
        async_checked_inline(inline)  # before the session is made: a refusal leaves none
        self.session = session_factory()
        self._session_connection = AsyncSQLAlchemyConnection(self.session)
        super().__init__(self._session_connection, codec=codec, inline=inline)

    def mapped(self, aggregate_type: type[R]) -> AsyncSQLAlchemyRepository[R, Any]:
        """Return a tracked repository of an ORM-mapped `aggregate_type` on this session."""
        return self.track(
            AsyncSQLAlchemyRepository(
                aggregate_type, self.session, codec=self.codec, connection=self._session_connection
            )
        )
