"""G22: "after X" means strictly after X, for every X, on PostgreSQL and SQLite.

Real gaps: an append rolled back on its own connection, and a multi-stream commit that
fails on its second stream after inserting its first (both consume positions on
PostgreSQL; SQLite draws none for a rolled-back insert, so there X sits in gaps that a
checkpoint restored from elsewhere would name). For every X from 0 past the head,
`read_all(after=X)` must return exactly the stored events with a position above X, and
a projection rebuilt from X must hold exactly those, and one whose checkpoint is X must
count exactly those as pending and have reached every other. The broken twin is the horizon read
this release replaced: it looked up the transaction of the row at X and, finding none,
read from the start of the log; it must replay events at or below X.

PostgreSQL runs on the session's throwaway server: the horizon waits for every open
transaction of the cluster, and other tests' transactions would only slow it.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from tactica import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.errors import WrongExpectedVersionError
from tactica.eventsourcing import to_new_event
from tactica.ports import NO_STREAM, RecordedEvent, StreamAppend
from tactica.projections import ProjectionRunner, projection
from tactica.stores._sql._event_rows import COLUMNS, recorded
from tactica.stores._sql._event_store_sync import write_appends
from tactica.stores.postgres import PostgresConnection, PostgresEventStore
from tactica.stores.sqlite import SQLiteConnection, SQLiteEventStore


class Happened(DomainEvent, name="g22.happened"):
    n: int = 0


CODEC = JsonCodec(TypeRegistry([Happened]))


def new_event() -> Any:
    return to_new_event(CODEC, Happened())


# The horizon read before G22: a position that is not stored counted as the beginning.
_OLD_HORIZON_READ = (
    f"SELECT {COLUMNS} FROM tactica_events WHERE (transaction_id, position) >"
    " (COALESCE((SELECT transaction_id FROM tactica_events WHERE position = ?),"
    " CAST('0' AS xid8)), ?)"
    " AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())"
    " ORDER BY transaction_id, position LIMIT ?"
)


class GapBlindStore(PostgresEventStore):
    """The broken twin: reads after a position that is not stored from the log's start."""

    def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Collection[str] | None = None
    ) -> list[RecordedEvent]:
        assert types is None
        with self._connections() as connection:
            rows = connection.fetch(_OLD_HORIZON_READ, [after, after, limit])
        return [recorded(row) for row in rows]


def _roll_back_an_append(connection: Any, stream_id: str) -> None:
    connection.begin()
    write_appends(connection, [(stream_id, (new_event(),), NO_STREAM)])
    connection.rollback()


def _history_with_gaps(store: Any, connection: Any) -> None:
    store.append("a", [new_event(), new_event()])
    _roll_back_an_append(connection, "rolled-back")
    store.append("b", [new_event()])
    store.append("c", [new_event()])
    with pytest.raises(WrongExpectedVersionError):
        store.commit(
            [
                StreamAppend("d", [new_event(), new_event()], NO_STREAM),
                StreamAppend("c", [new_event()], 7),
            ]
        )
    _roll_back_an_append(connection, "rolled-back")
    store.append("a", [new_event()], 2)


def _violations(store: Any, extra: int = 4) -> list[str]:
    stored = store.read_all(limit=10_000)
    head = max(event.position for event in stored)
    problems = []
    for after in range(head + extra):
        expected = [event.position for event in stored if event.position > after]
        got = [event.position for event in store.read_all(after=after, limit=10_000)]
        if got != expected:
            problems.append(f"after={after}: read {got}, expected {expected}")
    return problems


def _gaps(store: Any) -> list[int]:
    positions = {event.position for event in store.read_all(limit=10_000)}
    return [p for p in range(1, max(positions)) if p not in positions]


def _counting(name: str) -> Any:
    counted = projection(name)

    @counted.handles(Happened)
    def count(event: Happened, tx: Any) -> None:
        seen = tx.get("seen", "positions") or {"positions": []}
        seen["positions"].append(tx.recorded.position)
        tx.put("seen", "positions", seen)

    return counted


def _rebuilt_from(store: Any, after: int) -> list[int]:
    runner = ProjectionRunner(store, _counting(f"count_{after}"), codec=CODEC)
    runner.rebuild(from_position=after)
    document = store.document(f"count_{after}", "seen", "positions")
    return [] if document is None else document["positions"]


def _status_from(store: Any, connection: Any, after: int) -> tuple[int, list[int]]:
    """Put a projection's checkpoint at `after`: its pending count, and what it reached."""
    name = f"lag_{after}"
    connection.execute(
        "INSERT INTO tactica_checkpoints (name, position) VALUES (?, ?)", (name, after)
    )
    positions = [event.position for event in store.read_all(limit=10_000)]
    reached = [p for p in positions if store.reached(name, p)]
    return store.status(name).pending, reached


def _check_statuses(store: Any, connection: Any, afters: list[int]) -> None:
    positions = [event.position for event in store.read_all(limit=10_000)]
    for after in afters:
        pending, reached = _status_from(store, connection, after)
        assert pending == len([p for p in positions if p > after]), after
        assert reached == [p for p in positions if p <= after], after


@pytest.mark.parametrize("global_order", ["horizon", "table_lock"])
def test_g22_postgres_reads_strictly_after_any_position_in_a_gap_or_past_the_head(
    postgres_conninfo: str, global_order: Any
) -> None:
    """Rolled-back and failed multi-stream commits leave gaps; every X reads exactly after X."""
    store = PostgresEventStore(postgres_conninfo, global_order=global_order)
    connection = PostgresConnection(postgres_conninfo)
    _history_with_gaps(store, connection)
    gaps = _gaps(store)
    assert len(gaps) >= 3, gaps
    assert _violations(store) == []
    stored = [event.position for event in store.read_all()]
    for after in [*gaps, stored[-1] + 2]:
        assert _rebuilt_from(store, after) == [p for p in stored if p > after]
    _check_statuses(store, connection, [*gaps, stored[-1] + 2])
    head = stored[-1]
    store.append("later", [new_event() for _ in range(5)])
    later = [event.position for event in store.read("later")]
    assert [e.position for e in store.read_all(after=head + 2)] == [
        p for p in later if p > head + 2
    ]
    connection.close()
    store.close()


def test_g22_broken_twin_replays_from_the_start_after_a_gap(postgres_conninfo: str) -> None:
    """The horizon read that took a missing position for the beginning is caught."""
    twin = GapBlindStore(postgres_conninfo)
    connection = PostgresConnection(postgres_conninfo)
    _history_with_gaps(twin, connection)
    problems = _violations(twin)
    assert problems, "the gap-blind twin must replay events at or below X"
    assert any(f"after={gap}:" in problem for gap in _gaps(twin) for problem in problems)
    connection.close()
    twin.close()


def test_g22_sqlite_reads_strictly_after_any_position(sqlite_path: Path) -> None:
    """SQLite too: every X from 0 past the head, also X in gaps restored from elsewhere."""
    store = SQLiteEventStore(sqlite_path)
    connection = SQLiteConnection(sqlite_path)
    _history_with_gaps(store, connection)
    assert _violations(store) == []
    # SQLite draws no position for a rolled-back insert; a checkpoint restored from a
    # backup can still name one that is not stored: remove two rows to make such gaps.
    raw = SQLiteConnection(sqlite_path)
    raw.execute("DELETE FROM tactica_events WHERE position IN (2, 4)")
    raw.close()
    assert _violations(store) == []
    stored = [event.position for event in store.read_all()]
    for after in (2, 4, stored[-1] + 3):
        assert _rebuilt_from(store, after) == [p for p in stored if p > after]
    _check_statuses(store, connection, [2, 4, stored[-1] + 3])
    connection.close()
    store.close()
