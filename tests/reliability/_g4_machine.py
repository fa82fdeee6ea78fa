"""G4(b): a Hypothesis state machine of appends, held transactions and reader restarts.

After protean's ``test_checkpoint_no_skip.py``. Each example starts on emptied tables (a
namespace of the throwaway PostgreSQL server, ``horizon`` design), with a runner of the
counting projection and the naive twin, and in the dangerous state: a held event below a
committed one that the readers have polled. Rules append and commit, open a transaction
that writes an event and keep it open, commit or roll back a held one in any order, tick
the readers, and replace the runner by a new one that starts from the stored checkpoint.
At the end, what is still held commits, late.

PostgreSQL only: SQLite has one writer at a time, so a held ``BEGIN IMMEDIATE`` blocks
every other append and the runner's own checkpoint transaction in the same thread until
the busy timeout. Nothing can commit "out of order" there, which is why SQLite readers
need no horizon; (c) and (d) cover SQLite under concurrent writers instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from _g4_harness import (
    Connection,
    Key,
    NaiveReader,
    Target,
    checkpoint,
    delivered,
    missed,
    read_order,
    stored,
    ticked,
    write_one,
)
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tactica import uuid7
from tactica.ports._events import NO_STREAM
from tactica.stores.postgres import create_schema

__all__ = ["NoSkipMachine"]

MAX_HELD = 4
TABLES = (
    "tactica_events",
    "tactica_checkpoints",
    "tactica_documents",
    "tactica_projections",
    "tactica_leases",
    "tactica_dead_letters",
)


@dataclass
class Held:
    """A transaction kept open with one event written: its connection, id and read order."""

    connection: Connection
    event_id: str
    key: Key


class NoSkipMachine(RuleBasedStateMachine):
    """The checkpoint never passes an uncommitted event, and delivery is exactly once."""

    target: ClassVar[Target]
    admin: ClassVar[Connection]
    tally: ClassVar[Counter[str]]

    def __init__(self) -> None:
        """Empty the namespace's tables; open a store, a runner and the naive twin."""
        super().__init__()
        self.admin.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        self.store = self.target.store()
        self.runner = self.target.runner(self.store)
        self.naive = NaiveReader(self.target.connect())
        self.committed: set[str] = set()
        self.held: list[Held] = []
        self.written = 0

    @classmethod
    def on(cls, conninfo: str) -> type[NoSkipMachine]:
        """Return a machine class on a new namespace of `conninfo`; `close` drops it."""
        target = Target("postgresql", conninfo, "horizon", f"g4b_{uuid7().hex[-12:]}")
        admin = target.connect()
        create_schema(admin)
        return type(cls.__name__, (cls,), {"target": target, "admin": admin, "tally": Counter()})

    @classmethod
    def close(cls) -> None:
        """Drop the namespace and close the class's connection."""
        cls.admin.execute(f"DROP SCHEMA {cls.target.namespace} CASCADE")
        cls.admin.close()

    def _next(self) -> tuple[str, Any]:
        self.written += 1
        self.tally["writes"] += 1
        return f"g4b-{self.written}", ticked("machine", self.written)

    @initialize()
    def hold_append_tick(self) -> None:
        """Start every example in the dangerous state: a held event below a committed one."""
        self.reserve_and_hold()
        self.append_and_commit()
        self.reader_tick()

    @rule()
    def append_and_commit(self) -> None:
        """Append one event in a transaction of its own."""
        stream_id, event = self._next()
        self.store.append(stream_id, [event], NO_STREAM)
        self.committed.add(str(event.event_id))

    @precondition(lambda self: len(self.held) < MAX_HELD)
    @rule()
    def reserve_and_hold(self) -> None:
        """Write one event in a transaction left open: its position is taken, not visible."""
        connection = self.target.connect()
        stream_id, event = self._next()
        result = write_one(connection, self.target, stream_id, 0, event)
        rows = connection.fetch("SELECT CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)")
        self.held.append(Held(connection, str(event.event_id), (int(rows[0][0]), result.position)))

    def _release(self, pick: int, *, commit: bool) -> None:
        held = self.held.pop(pick % len(self.held))
        self.tally["commit_held" if commit else "roll_back_held"] += 1
        if commit:
            held.connection.commit()
            self.committed.add(held.event_id)
        else:
            held.connection.rollback()
        held.connection.close()

    @precondition(lambda self: self.held)
    @rule(pick=st.integers(0, MAX_HELD - 1))
    def commit_held(self, pick: int) -> None:
        """Commit one held transaction, whichever: possibly after later positions committed."""
        self._release(pick, commit=True)

    @precondition(lambda self: self.held)
    @rule(pick=st.integers(0, MAX_HELD - 1))
    def roll_back_held(self, pick: int) -> None:
        """Roll one held transaction back: its position stays a gap for ever."""
        self._release(pick, commit=False)

    @rule()
    def reader_tick(self) -> None:
        """Let the runner and the naive twin read everything they can now."""
        self.tally["reader ticks"] += 1
        self.runner.run_until_caught_up()
        self.naive.tick()
        if any(held.key[1] < self.naive.cursor for held in self.held):
            self.tally["naive cursor passed an uncommitted event"] += 1

    @rule()
    def reader_restart(self) -> None:
        """Replace the runner by a new one, which starts from the stored checkpoint."""
        self.tally["reader restarts"] += 1
        self.runner = self.target.runner(self.store)

    @invariant()
    def checkpoint_is_behind_every_uncommitted_event(self) -> None:
        """Delivered means committed, once; the checkpoint is behind every held event.

        And every committed event at or before the checkpoint in read order was delivered.
        """
        mark_position = checkpoint(self.admin)
        counts = delivered(self.admin)
        events = stored(self.admin, self.target)
        assert set(events) == self.committed
        assert set(counts) <= self.committed
        assert set(counts.values()) <= {1}
        mark = read_order(events, mark_position)
        assert all(held.key > mark for held in self.held)
        assert all(event_id in counts for event_id, key in events.items() if key <= mark)

    def teardown(self) -> None:
        """Commit what is still held (late), catch up, and count."""
        try:
            while self.held:
                self._release(0, commit=True)
            self.runner.run_until_caught_up()
            self.naive.tick()
            events = stored(self.admin, self.target)
            counts = delivered(self.admin)
            self.tally["examples"] += 1
            self.tally["stored"] += len(events)
            self.tally["missed"] += missed(events, counts)
            self.tally["duplicated"] += sum(counts.values()) - len(counts)
            self.tally["naive missed"] += missed(events, self.naive.seen)
            assert counts == dict.fromkeys(events, 1)
        finally:
            self.store.close()  # type: ignore[attr-defined]
            self.naive.connection.close()
