# Generated from _protocol_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The connection protocol (sync colour) every SQL backend's connection implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["SQLConnection"]


class SQLConnection(Protocol):
    """Statements with ``?`` placeholders, and explicit write transactions."""

    @property
    def dialect(self) -> str:
        """The database's SQLAlchemy dialect name: ``sqlite`` or ``postgresql``."""
        ...

    @property
    def schema(self) -> tuple[str, ...]:
        """The DDL statements creating tactica's tables in this database's dialect."""
        ...

    @property
    def unique_violation(self) -> type[BaseException]:
        """The driver's error for a duplicate primary key."""
        ...

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        ...

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; return its rows."""
        ...

    def begin(self) -> None:
        """Start a write transaction."""
        ...

    def commit(self) -> None:
        """Commit the open transaction."""
        ...

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        ...
