"""G4 harness: a counting projection, the stores under test, the naive twin and the checks.

The projection counts each event id into a read-model document, so a duplicate delivery
shows as a count of 2 and a skipped event as a missing document. The naive reader is the
broken twin of GUARANTEES.md G4: it reads ``position > cursor ORDER BY position`` and keeps
the largest position it saw, which skips an event whose transaction commits after a later
position was read. The checks read what the database holds, never what a runner says.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tactica import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.eventsourcing import to_new_event
from tactica.ports._events import AppendResult, NewEvent
from tactica.ports._projection_records import decode_document
from tactica.projections import Projection, ProjectionRunner, handles
from tactica.stores._sql._event_store_sync import SQLEventStore, write_appends
from tactica.stores._sql._protocol_sync import SQLConnection
from tactica.stores.postgres import PostgresConnection, PostgresEventStore
from tactica.stores.sqlite import SQLiteConnection, SQLiteEventStore

__all__ = [
    "PROJECTION",
    "TWIN",
    "Connection",
    "Counting",
    "Key",
    "NaiveReader",
    "StoreReader",
    "Target",
    "Ticked",
    "TwinCounting",
    "checkpoint",
    "delivered",
    "drain",
    "missed",
    "passed_undelivered",
    "read_order",
    "stored",
    "ticked",
    "write_one",
]

Connection = PostgresConnection | SQLiteConnection
"""A connection the harness opens (and closes)."""

PROJECTION = "g4.counting"
TWIN = "g4.twin"
SEEN = "seen"


class Ticked(DomainEvent, name="tests.reliability.g4.ticked"):
    """One writer's n-th event; its id is what the checks count."""

    writer: str
    n: int


def _codec() -> JsonCodec:
    registry = TypeRegistry()
    registry.register(Ticked)
    return JsonCodec(registry)


CODEC = _codec()


def ticked(writer: str, n: int) -> NewEvent:
    """Return the stored form of writer `writer`'s `n`-th event."""
    return to_new_event(CODEC, Ticked(writer=writer, n=n))


class Counting(Projection):
    """Counts every delivery of each event id into a document of its own."""

    name = PROJECTION

    @handles
    def ticked(self, event: Ticked, tx: Any) -> None:
        """Add one to the delivery count of this event id, in the batch's transaction."""
        del event
        record = tx.recorded
        key = str(record.event_id)
        found = tx.get(SEEN, key)
        count = 0 if found is None else int(found["count"])
        tx.put(SEEN, key, {"position": record.position, "count": count + 1})


class TwinCounting(Counting):
    """The same projection under another name, for the runner twin (see `Target.twin`)."""

    name = TWIN


@dataclass(frozen=True)
class Target:
    """A database under test: a PostgreSQL database in one global-order design, or a file."""

    dialect: str
    location: str
    global_order: str = "horizon"
    namespace: str | None = None

    @property
    def name(self) -> str:
        """How the summary lines name it: ``postgres/horizon``, ``sqlite``."""
        return f"postgres/{self.global_order}" if self.dialect == "postgresql" else "sqlite"

    @property
    def horizon(self) -> bool:
        """Whether global reads go by the xid8 horizon (else by position)."""
        return self.dialect == "postgresql" and self.global_order == "horizon"

    @property
    def table_lock(self) -> bool:
        """Whether each append takes the events-table lock first."""
        return self.dialect == "postgresql" and self.global_order == "table_lock"

    def connect(self) -> Connection:
        """Open a connection of its own."""
        if self.dialect == "postgresql":
            return PostgresConnection(self.location, namespace=self.namespace)
        return SQLiteConnection(Path(self.location))

    def store(self) -> SQLEventStore:
        """Open an event store on a connection of its own."""
        if self.dialect == "postgresql":
            return PostgresEventStore(
                self.location,
                global_order=self.global_order,  # type: ignore[arg-type]
                namespace=self.namespace,
            )
        return SQLiteEventStore(Path(self.location))

    def twin(self) -> Target:
        """Return the runner twin's view: the same tables, read in position order.

        Writers still write as this target says (without the table lock), so on a
        ``horizon`` target a runner on the twin's store is the naive reader with the whole
        runner around it: the checks must see it skip.
        """
        return replace(self, global_order="table_lock")

    def runner(
        self, store: SQLEventStore, projection: Counting | None = None, **options: Any
    ) -> ProjectionRunner:
        """Return a runner of the counting projection (or `projection`) on `store`."""
        # A SQLite lease outlives a killed holder by its ttl: keep it short for restarts.
        options.setdefault("lease_ttl", 0.25)
        options.setdefault("poll_interval", 0.01)
        counting = Counting() if projection is None else projection
        return ProjectionRunner(store, counting, codec=CODEC, **options)


def write_one(
    connection: SQLConnection, target: Target, stream_id: str, expected: int, event: NewEvent
) -> AppendResult:
    """Begin a transaction and write one event into it, left open for the caller to end."""
    connection.begin()
    try:
        (result,) = write_appends(
            connection, [(stream_id, (event,), expected)], table_lock=target.table_lock
        )
    except BaseException:
        connection.rollback()
        raise
    return result


@dataclass
class NaiveReader:
    """The broken twin: resumes after the largest position it has read, in position order."""

    connection: Connection
    batch: int = 100
    cursor: int = 0
    seen: list[str] = field(default_factory=list)

    def tick(self) -> int:
        """Read everything after the cursor now; return how many events were read."""
        read = 0
        while True:
            rows = self.connection.fetch(
                "SELECT position, CAST(event_id AS TEXT) FROM tactica_events"
                " WHERE position > ? ORDER BY position LIMIT ?",
                (self.cursor, self.batch),
            )
            if not rows:
                return read
            self.seen.extend(str(event_id) for _, event_id in rows)
            self.cursor = max(int(position) for position, _ in rows)
            read += len(rows)


@dataclass
class StoreReader:
    """tactica's global read without a runner: ``read_all`` after the last position it got."""

    store: SQLEventStore
    batch: int = 100
    cursor: int = 0
    seen: list[str] = field(default_factory=list)

    def tick(self) -> int:
        """Read everything after the cursor now; return how many events were read."""
        read = 0
        while events := self.store.read_all(after=self.cursor, limit=self.batch):
            self.seen.extend(str(event.event_id) for event in events)
            self.cursor = events[-1].position
            read += len(events)
        return read


Key = tuple[int, int]
"""An event's place in a target's global read order: (transaction id or 0, position)."""


def stored(connection: SQLConnection, target: Target) -> dict[str, Key]:
    """Return every committed event id with its place in the target's read order."""
    xid = "CAST(CAST(transaction_id AS TEXT) AS BIGINT)" if target.horizon else "0"
    rows = connection.fetch(f"SELECT CAST(event_id AS TEXT), {xid}, position FROM tactica_events")
    return {str(event_id): (int(txid), int(position)) for event_id, txid, position in rows}


def delivered(connection: SQLConnection, projection: str = PROJECTION) -> dict[str, int]:
    """Return how many times the projection applied each event id (from its documents)."""
    rows = connection.fetch(
        "SELECT key, document FROM tactica_documents WHERE projection = ? AND collection = ?",
        (projection, SEEN),
    )
    return {str(key): int(decode_document(bytes(data))["count"]) for key, data in rows}


def checkpoint(connection: SQLConnection, name: str = PROJECTION) -> int:
    """Return the projection's stored checkpoint (0: none)."""
    rows = connection.fetch("SELECT position FROM tactica_checkpoints WHERE name = ?", (name,))
    return int(rows[0][0]) if rows else 0


def read_order(events: dict[str, Key], position: int) -> Key:
    """Return the read-order place of the committed event at `position` (0: the start)."""
    if position == 0:
        return (0, 0)
    return next(key for key in events.values() if key[1] == position)


def passed_undelivered(
    connection: SQLConnection, target: Target, projection: str = PROJECTION
) -> int:
    """Count committed events at or before the checkpoint in read order, yet not delivered.

    Read in this order, without a shared snapshot: the checkpoint, then the documents
    (committed with it, only ever growing), then the events. An event committed after
    the checkpoint was read can only sit after it in read order, unless the design is
    broken, which is what this counts.
    """
    position = checkpoint(connection, projection)
    applied = delivered(connection, projection)
    events = stored(connection, target)
    mark = read_order(events, position)
    return sum(1 for event_id, key in events.items() if key <= mark and event_id not in applied)


def drain(runner: ProjectionRunner, target: Target, timeout: float = 30.0) -> None:
    """Run `runner` until no committed event is left for it (waiting out a dead lease)."""
    deadline = time.monotonic() + timeout
    while runner.store.status(runner.name).pending > 0:
        if time.monotonic() > deadline:
            msg = f"{target.name}: the runner did not catch up within {timeout} s"
            raise AssertionError(msg)
        if runner.run_until_caught_up() == 0:
            time.sleep(0.05)


def missed(events: Iterable[str], seen: Iterable[str]) -> int:
    """Return how many stored events were never seen."""
    return len(set(events) - set(seen))
