# Generated from _connection_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""tactica's SQL, run on a SQLAlchemy session (sync colour).

The shared SQL repository and the SQL unit of work write through this connection, so
tactica's tables (aggregate rows, outbox) and your ORM-mapped objects share the session's
one transaction. The session starts that transaction by itself on first use; `commit` and
`rollback` end it.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.exc import SQLAlchemyError

from tactica.errors import (
    CommitOutcomeUnknownError,
    ConstraintViolationError,
    DatabaseConnectionError,
    TacticaError,
)
from tactica.stores._sql._errors import closed_connection, translated
from tactica.stores._sql._schemas import schema_for
from tactica.stores.sqlalchemy._compat import Session, plain_session

__all__ = ["SQLAlchemyConnection", "translating"]

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=256)
def _statement(sql: str) -> TextClause:
    # tactica's SQL uses ``?``; SQLAlchemy's text() binds by name on every driver.
    names = (f":p{index}" for index in range(sql.count("?")))
    return text(_PLACEHOLDER.sub(lambda _: next(names), sql))


# Drivers under SQLAlchemy may let a value they cannot bind escape as a builtin error.
_DRIVER_ERRORS = (SQLAlchemyError, OverflowError, UnicodeEncodeError)


def _failed(error: BaseException, *, committing: bool = False) -> TacticaError:
    lost = bool(getattr(error, "connection_invalidated", False))
    failure = translated(error, "sqlalchemy")
    if (lost or isinstance(failure, DatabaseConnectionError)) and committing:
        return CommitOutcomeUnknownError(
            f"the database connection was lost while COMMIT was on its way ({error}); the "
            "transaction may or may not be stored: read it back before retrying"
        )
    if lost and not isinstance(failure, DatabaseConnectionError):
        return DatabaseConnectionError(
            f"the database connection was lost mid-transaction ({error}); nothing of the "
            "transaction was stored: retry with a new session"
        )
    return failure


@contextmanager
def translating(*, committing: bool = False) -> Generator[None]:
    """Turn SQLAlchemy's and its drivers' errors raised inside the block into tactica's."""
    try:
        yield
    except _DRIVER_ERRORS as error:
        raise _failed(error, committing=committing) from error


def _bound(sql: str, parameters: Sequence[Any]) -> tuple[TextClause, dict[str, Any]]:
    return _statement(sql), {f"p{index}": value for index, value in enumerate(parameters)}


class SQLAlchemyConnection:
    """A SQLAlchemy session seen as a tactica SQL connection (SQLite or PostgreSQL)."""

    unique_violation: type[BaseException] = ConstraintViolationError

    __slots__ = ("_closed", "session")

    def __init__(self, session: Session) -> None:
        """Run statements in `session`'s transaction."""
        self.session = session
        self._closed = False

    def live_session(self) -> Session:
        """Return the session; raise `DatabaseConnectionError` once this connection is closed.

        A closed SQLAlchemy session would begin anew by itself; tactica's use of it ends
        when the unit of work (or store) closes it.
        """
        if self._closed:
            raise closed_connection("SQLAlchemy")
        return self.session

    @property
    def dialect(self) -> str:
        """The dialect name of the engine the session is bound to."""
        return plain_session(self.session).get_bind().dialect.name

    @property
    def schema(self) -> tuple[str, ...]:
        """The DDL of tactica's tables in the dialect of the session's engine."""
        return schema_for(self.dialect)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement in the session's transaction; return how many rows it changed."""
        statement, bound = _bound(sql, parameters)
        try:
            result: Any = self.live_session().execute(statement, bound)
        except _DRIVER_ERRORS as error:
            raise _failed(error) from error
        changed: int = result.rowcount
        return changed

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query in the session's transaction; return its rows."""
        statement, bound = _bound(sql, parameters)
        try:
            result = self.live_session().execute(statement, bound)
            return [tuple(row) for row in result]
        except _DRIVER_ERRORS as error:
            raise _failed(error) from error

    def begin(self) -> None:
        """Nothing to do: the session begins its transaction on first use."""

    def commit(self) -> None:
        """Commit the session (your ORM changes in it too)."""
        try:
            self.live_session().commit()
        except _DRIVER_ERRORS as error:
            raise _failed(error, committing=True) from error

    def rollback(self) -> None:
        """Roll the session back."""
        if self._closed:
            return
        try:
            self.session.rollback()
        except _DRIVER_ERRORS as error:
            raise _failed(error) from error

    def close(self) -> None:
        """Close the session, rolling back whatever it had not committed; later use fails."""
        if self._closed:
            return
        self._closed = True
        try:
            self.session.close()
        except _DRIVER_ERRORS as error:
            raise _failed(error) from error
