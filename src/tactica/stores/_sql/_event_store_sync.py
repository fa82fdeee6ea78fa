# Generated from _event_store_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQL event store (sync colour): one implementation for SQLite, PostgreSQL and SQLAlchemy.

Statements use ``?`` placeholders and run through a tactica SQL connection; the few
differences between databases (who stamps ``recorded_at``, how a UUID is stored, how a
global read stays gap-free) are in `tactica.stores._sql._event_rows`.
"""

from __future__ import annotations

from collections.abc import Generator, Callable, Collection, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Literal

from tactica._acompat import Lock
from tactica.errors import (
    AppendOutcomeUnknownError,
    CommitOutcomeUnknownError,
    ConcurrencyError,
    ConfigurationError,
    WrongExpectedVersionError,
)
from tactica.outbox import OutboxMessage
from tactica.ports._events import (
    MAX_EVENT_BYTES,
    AppendResult,
    Expected,
    NewEvent,
    RecordedEvent,
    Snapshot,
    StreamAppend,
    already_appended,
    checked_checkpoint,
    checked_snapshot,
    expectation_met,
)
from tactica.ports._reads import checked_name, checked_read, checked_read_all
from tactica.ports._store_base_sync import EventStoreBase, checked_max_bytes
from tactica.stores._sql._dialect import dialect_named
from tactica.stores._sql._event_rows import (
    NOTIFY_CHANNEL,
    by_ids,
    event_row,
    global_read,
    global_read_parameters,
    insert_events,
    recorded,
    stream_read,
    uuid_value,
)
from tactica.stores._sql._outbox import INSERT_OUTBOX_ONCE, outbox_row
from tactica.stores._sql._projections_sync import SQLProjections
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores._wakeups import Wakeups

__all__ = ["SQLEventStore", "GlobalOrder", "write_appends", "checked_global_order"]

GlobalOrder = Literal["horizon", "table_lock"]
"""How PostgreSQL keeps global reads gap-free: the xid8 horizon, or a table lock per append."""

_CHECKPOINT = (
    "INSERT INTO tactica_checkpoints (name, position) VALUES (?, ?)"
    " ON CONFLICT (name) DO UPDATE SET position = excluded.position"
)
_CONFLICT_RETRIES = 5
_SAVE_SNAPSHOT = (
    "INSERT INTO tactica_snapshots (stream_id, version, type_name, schema_version, state)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,"
    " type_name = excluded.type_name, schema_version = excluded.schema_version,"
    " state = excluded.state"
)


def _current_version(connection: SQLConnection, stream_id: str) -> int:
    rows = connection.fetch(
        "SELECT COALESCE(MAX(stream_version), 0) FROM tactica_events WHERE stream_id = ?",
        (stream_id,),
    )
    return int(rows[0][0])


def _retried(
    connection: SQLConnection, stream_id: str, events: tuple[NewEvent, ...]
) -> AppendResult | None:
    """Say whether these very events are stored already (see `already_appended`)."""
    ids = [uuid_value(dialect_named(connection.dialect), event.event_id) for event in events]
    stored = [recorded(row) for row in connection.fetch(by_ids(len(ids)), ids)]
    return already_appended(stream_id, events, stored)


_ROWS_PER_INSERT = 200  # 2,200 parameters at most: far below either database's limit


def _insert(
    connection: SQLConnection,
    stream_id: str,
    current: int,
    events: tuple[NewEvent, ...],
    now: datetime,
) -> int:
    """Insert a stream's new events, many rows per statement; return the last position."""
    dialect = dialect_named(connection.dialect)
    rows = [
        event_row(dialect, stream_id, current + offset, event, now)
        for offset, event in enumerate(events, start=1)
    ]
    position = 0
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        values = [value for row in chunk for value in row]
        answered = connection.fetch(insert_events(dialect, len(chunk)), values)
        position = max(position, *(int(row[0]) for row in answered))
    return position


def write_appends(
    connection: SQLConnection,
    appends: Sequence[tuple[str, tuple[NewEvent, ...], Expected]],
    outbox: Sequence[OutboxMessage] = (),
    checkpoint: tuple[str, int] | None = None,
    *,
    table_lock: bool = False,
) -> list[AppendResult]:
    """Write checked appends, outbox rows and a checkpoint in the caller's open transaction.

    Raises `WrongExpectedVersionError` or `DuplicateEventError` before the caller commits;
    the caller then rolls back, and nothing of the commit is stored.
    """
    dialect = dialect_named(connection.dialect)
    if table_lock and dialect.lock_events_table is not None:
        connection.execute(dialect.lock_events_table)
    now = datetime.now(UTC)
    results: list[AppendResult] = []
    for stream_id, events, expected in appends:
        retry = _retried(connection, stream_id, events)
        if retry is not None:
            results.append(retry)
            continue
        if dialect.turn is not None and not table_lock and not isinstance(expected, int):
            # Without a version to expect, a writer that lost the race would only retry
            # into the next one: take turns per stream instead (released at commit).
            connection.fetch(dialect.turn, (stream_id,))
        current = _current_version(connection, stream_id)
        if not expectation_met(expected, current):
            # The first try of a retried append may have committed since the id look-up.
            retry = _retried(connection, stream_id, events)
            if retry is not None:
                results.append(retry)
                continue
            raise WrongExpectedVersionError(stream_id, expected, current)
        position = _insert(connection, stream_id, current, events, now)
        results.append(AppendResult(stream_id, current + len(events), position))
    _notify(connection, results)
    for message in outbox:
        connection.execute(INSERT_OUTBOX_ONCE, outbox_row(message))
    if checkpoint is not None:
        connection.execute(_CHECKPOINT, checkpoint)
    return results


def _notify(connection: SQLConnection, results: list[AppendResult]) -> None:
    notify = dialect_named(connection.dialect).notify
    if notify is not None and any(not r.already_appended for r in results):
        connection.fetch(notify, (NOTIFY_CHANNEL,))


Connections = Callable[[], AbstractContextManager[SQLConnection]]


def checked_global_order(global_order: object) -> GlobalOrder:
    """Return `global_order` if it names a design; raise `ConfigurationError` otherwise."""
    if global_order == "horizon":
        return "horizon"
    if global_order == "table_lock":
        return "table_lock"
    msg = f"global_order must be 'horizon' or 'table_lock', not {global_order!r}"
    raise ConfigurationError(msg)


class SQLEventStore(SQLProjections, EventStoreBase):
    """An event store on SQL connections; SQLite, PostgreSQL and SQLAlchemy use this one.

    It also hosts projections (`tactica.projections`): read models, checkpoints, leases.

    `connections` lends a connection per operation (one kept connection behind a lock, or
    a pool). Appends run in one transaction each; a concurrent writer that took the same
    stream version first makes this append a `WrongExpectedVersionError` (or, with
    ``ANY``, a retry).
    """

    def __init__(
        self,
        connections: Connections,
        *,
        max_event_bytes: int = MAX_EVENT_BYTES,
        global_order: GlobalOrder = "horizon",
    ) -> None:
        """Lend connections from `connections`; see `GlobalOrder` for `global_order`."""
        self.global_order = checked_global_order(global_order)
        self._connections = connections
        self.max_event_bytes = checked_max_bytes(max_event_bytes)
        self.wakeups = Wakeups()

    def commit(
        self,
        appends: Sequence[StreamAppend],
        *,
        outbox: Sequence[OutboxMessage] = (),
        checkpoint: tuple[str, int] | None = None,
    ) -> list[AppendResult]:
        """Append to several streams, write outbox rows and a checkpoint, in one transaction."""
        checked = self.checked(appends)
        messages = self.checked_outbox(outbox)
        mark = checked_checkpoint(checkpoint)
        for attempt in range(_CONFLICT_RETRIES):
            with self._connections() as connection:
                try:
                    results = self._commit_once(connection, checked, messages, mark)
                except connection.unique_violation as error:
                    # A writer took the same stream version (or event id) between our read
                    # and our insert. Read again: the checks above then say what it means.
                    if attempt == _CONFLICT_RETRIES - 1:
                        streams = ", ".join(repr(stream_id) for stream_id, _, _ in checked)
                        msg = (
                            f"other writers kept appending to {streams} concurrently "
                            f"({_CONFLICT_RETRIES} tries); load again and retry"
                        )
                        raise ConcurrencyError(msg) from error
                else:
                    self.wakeups.notify()
                    return results
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _commit_once(
        self,
        connection: SQLConnection,
        checked: list[tuple[str, tuple[NewEvent, ...], Expected]],
        outbox: Sequence[OutboxMessage],
        checkpoint: tuple[str, int] | None,
    ) -> list[AppendResult]:
        connection.begin()
        try:
            results = write_appends(
                connection,
                checked,
                outbox,
                checkpoint,
                table_lock=self.global_order == "table_lock",
            )
            connection.commit()
        except CommitOutcomeUnknownError as error:
            msg = f"{error}; append the same events again (same ids) to settle it"
            raise AppendOutcomeUnknownError(msg) from error
        except BaseException:
            connection.rollback()
            raise
        return results

    def read(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        backwards: bool = False,
        limit: int | None = None,
    ) -> list[RecordedEvent]:
        """Return a stream's events between two versions (inclusive), oldest first by default."""
        checked_read(stream_id, from_version, to_version, limit, backwards=backwards)
        statement = stream_read(
            bounded=to_version is not None, backwards=backwards, limited=limit is not None
        )
        parameters: list[object] = [stream_id, from_version]
        parameters.extend(value for value in (to_version, limit) if value is not None)
        with self._connections() as connection:
            rows = connection.fetch(statement, parameters)
        return [recorded(row) for row in rows]

    def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Collection[str] | None = None
    ) -> list[RecordedEvent]:
        """Return events of every stream after position `after`, in global commit order.

        On PostgreSQL with the ``horizon`` order, events come in the order their
        transactions started, and only once no older transaction is still running, so a
        reader that resumes after the last position it saw never skips one.
        """
        checked_read_all(after, limit, types)
        kinds = sorted(set(types)) if types is not None else []
        if types is not None and not kinds:
            return []
        with self._connections() as connection:
            horizon = (
                dialect_named(connection.dialect).has_horizon and self.global_order == "horizon"
            )
            statement = global_read(horizon=horizon, types=len(kinds))
            parameters = global_read_parameters(after, kinds, limit, horizon=horizon)
            rows = connection.fetch(statement, parameters)
        return [recorded(row) for row in rows]

    def stream_version(self, stream_id: str) -> int:
        """Return the version of a stream: its number of events, 0 if it does not exist."""
        checked_name(stream_id, "a stream id")
        with self._connections() as connection:
            return _current_version(connection, stream_id)

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store `snapshot`, replacing the stream's previous one, in a transaction of its own."""
        snapshot = checked_snapshot(snapshot)
        with self._connections() as connection:
            connection.begin()
            try:
                connection.execute(
                    _SAVE_SNAPSHOT,
                    (
                        snapshot.stream_id,
                        snapshot.version,
                        snapshot.type_name,
                        snapshot.schema_version,
                        snapshot.state,
                    ),
                )
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

    def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the stream's latest snapshot, or ``None``."""
        checked_name(stream_id, "a stream id")
        with self._connections() as connection:
            rows = connection.fetch(
                "SELECT version, type_name, schema_version, state FROM tactica_snapshots"
                " WHERE stream_id = ?",
                (stream_id,),
            )
        if not rows:
            return None
        version, type_name, schema_version, state = rows[0]
        return Snapshot(stream_id, int(version), type_name, int(schema_version), bytes(state))

    def checkpoint(self, name: str) -> int:
        """Return the position stored under `name` by a commit, 0 if there is none."""
        checked_name(name, "a checkpoint name")
        with self._connections() as connection:
            rows = connection.fetch(
                "SELECT position FROM tactica_checkpoints WHERE name = ?", (name,)
            )
        return int(rows[0][0]) if rows else 0


def kept_connection(connection: SQLConnection) -> Connections:
    """Lend one connection to one operation at a time (a lock keeps their turns)."""
    lock = Lock()

    @contextmanager
    def lend() -> Generator[SQLConnection]:
        with lock:
            yield connection

    return lend
