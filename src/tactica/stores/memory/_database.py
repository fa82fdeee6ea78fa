"""The in-memory database: committed aggregate state shared by repositories."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tactica.errors import AggregateAlreadyExistsError, AggregateNotFoundError, ConcurrencyError
from tactica.stores.memory._event_log import InMemoryEventLog
from tactica.stores.memory._read_models import InlineWrites
from tactica.uow._session import WriteKind, conflict

__all__ = ["Change", "InMemoryDatabase", "StoredAggregate"]


@dataclass(frozen=True, slots=True)
class StoredAggregate:
    """A committed aggregate: a detached copy and the version it was stored at."""

    version: int
    state: Any


@dataclass(frozen=True, slots=True)
class Change:
    """One write of a commit, checked against the stored version before anything applies."""

    kind: WriteKind
    table: str
    aggregate_id: Any
    expected_version: int
    state: Any = None
    # Where the stored row is when it was read under an alias: the write moves it to `table`.
    source: str | None = None
    # Tables of the type's aliases, which must not already hold an inserted id.
    aliases: tuple[str, ...] = ()
    # The type as users wrote it, for errors; the table's name when empty.
    label: str = ""


class InMemoryDatabase:
    """Committed state for in-memory repositories, safe to share between threads and tasks.

    Several repositories (one per unit of work, like database sessions) work on one
    database; `apply` checks every change's expected version and then applies all of them,
    or none, under one lock, exactly like a transaction with ``UPDATE ... WHERE version``.

    Its `log` holds the documents of inline projections (see the unit of work's
    ``inline``): read them with an event store on it, ``InMemoryEventStore(database.log)``,
    as SQL readers read the read-model tables of the database the unit writes.
    """

    __slots__ = ("_lock", "_outbox", "_tables", "log")

    def __init__(self) -> None:
        """Create an empty database, with an empty `log` for inline read models."""
        # No parameter: DI containers build the database from its constructor alone.
        self.log = InMemoryEventLog()
        """Where inline projections' documents are kept, with the generation readers see."""
        self._lock = threading.Lock()
        self._tables: dict[str, dict[Any, StoredAggregate]] = {}
        self._outbox: dict[Any, Any] = {}

    def load(self, table: str, aggregate_id: Any) -> StoredAggregate | None:
        """Return the committed aggregate with this id, or ``None``."""
        with self._lock:
            return self._tables.get(table, {}).get(aggregate_id)

    def apply(
        self,
        changes: Iterable[Change],
        outbox: Iterable[Any] = (),
        inline: Sequence[InlineWrites] = (),
    ) -> bool:
        """Apply all `changes`, the `outbox` messages and `inline` writes atomically, or none.

        Outbox messages are keyed by ``message_id``; storing one twice is a conflict.
        Return ``False``, having stored nothing, when an inline projection's documents
        changed after its handlers read them (see `InMemoryEventLog.apply_inline`); raise
        on a conflict of `changes` or `outbox`.
        """
        changes = list(changes)
        messages = list(outbox)
        with self._lock:
            for change in changes:
                _check(change, self._stored(change))
            ids = [message.message_id for message in messages]
            if len(set(ids)) != len(ids) or any(key in self._outbox for key in ids):
                msg = "an outbox message with one of these ids is already stored"
                raise ConcurrencyError(msg)

            def store() -> None:
                self._outbox.update(zip(ids, messages, strict=True))
                for change in changes:
                    rows = self._tables.setdefault(change.table, {})
                    if change.source is not None and change.source != change.table:
                        del self._tables[change.source][change.aggregate_id]
                    elif change.kind is WriteKind.DELETE:
                        del rows[change.aggregate_id]
                    if change.kind is not WriteKind.DELETE:
                        rows[change.aggregate_id] = StoredAggregate(
                            change.expected_version + 1, change.state
                        )

            if not inline:
                store()
                return True
            # Both locks, always in this order: readers of either never see half a commit.
            return self.log.apply_inline(inline, store)

    def load_any(
        self, tables: Iterable[str], aggregate_id: Any
    ) -> tuple[str, StoredAggregate] | None:
        """Return the first of `tables` holding this id, and the committed aggregate there."""
        with self._lock:
            for table in tables:
                stored = self._tables.get(table, {}).get(aggregate_id)
                if stored is not None:
                    return table, stored
            return None

    def _stored(self, change: Change) -> StoredAggregate | None:
        if change.kind is WriteKind.INSERT:
            for table in (change.table, *change.aliases):
                found = self._tables.get(table, {}).get(change.aggregate_id)
                if found is not None:
                    return found
            return None
        return self._tables.get(change.source or change.table, {}).get(change.aggregate_id)

    def outbox(self) -> tuple[Any, ...]:
        """Return the stored outbox messages, oldest first."""
        with self._lock:
            return tuple(self._outbox.values())

    def count(self, table: str) -> int:
        """Return how many aggregates `table` holds."""
        with self._lock:
            return len(self._tables.get(table, {}))


def _check(change: Change, stored: StoredAggregate | None) -> None:
    type_name = change.label or change.table
    if change.kind is WriteKind.INSERT:
        if stored is not None:
            raise AggregateAlreadyExistsError(type_name, change.aggregate_id)
        return
    if stored is None and change.kind is WriteKind.DELETE and change.expected_version == 0:
        raise AggregateNotFoundError(type_name, change.aggregate_id)
    if stored is None or stored.version != change.expected_version:
        raise conflict(
            type_name,
            change.aggregate_id,
            change.expected_version,
            None if stored is None else stored.version,
        )
