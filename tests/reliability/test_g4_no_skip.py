"""G4: global-order subscriptions never skip a committed event, on PostgreSQL and SQLite.

GUARANTEES.md G4, four variants, each beside its broken twin (`_g4_harness.NaiveReader`,
which resumes after the largest position it read):

- (a) deterministic: writer A holds an open transaction with an event while writer B
  commits a later position; the reader polls; A commits. The test holds A on its own
  connection (``begin`` + ``write_appends``), which is as deterministic as the Marten
  #4964 trigger and needs no trigger;
- (b) a Hypothesis state machine of appends, held transactions committed or rolled back
  out of order, reader ticks and reader restarts (PostgreSQL, horizon design; why not
  SQLite is in `_g4_machine`);
- (c) 8 writer threads with 0-5 ms of work inside each transaction, a runner thread and
  the naive reader following them;
- (d) the same load with the subscriber in a process SIGKILLed 5 times and restarted
  from its stored checkpoint; no duplicate is allowed even then, since the checkpoint
  moves in the transaction of the read-model changes.

On ``horizon`` there is a second twin: tactica's own runner on a store that reads in
position order (`_g4_harness.Target.twin`), which shows that the checks (documents
counted, checkpoint probed) see a skip when there is one.

Which designs the twins catch: the naive reader skips events only on PostgreSQL with
the xid8 ``horizon`` design, where positions are drawn at INSERT and transactions commit
in another order. With ``table_lock`` (writers take turns on the events table before
drawing a position) and on SQLite (one writer at a time, ``BEGIN IMMEDIATE``), position
order is commit order, so even the naive reader misses nothing there; the checks still
run against tactica on every design. Holding transactions open stalls every reader of
the cluster, so PostgreSQL runs on the session's throwaway server.

Default mode runs each load for 4 s once; ``TACTICA_G4_SECONDS=10 TACTICA_G4_RUNS=10``
is the recipe's full run. ``TACTICA_RELIABILITY_SEED`` replays another seed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _g4_harness import (
    TWIN,
    NaiveReader,
    StoreReader,
    Target,
    TwinCounting,
    checkpoint,
    delivered,
    missed,
    passed_undelivered,
    stored,
    ticked,
    write_one,
)
from _g4_load import Load, Outcome
from _g4_machine import NoSkipMachine
from _g4_subscriber import Subscribers
from _uow_harness import seed
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tactica import uuid7
from tactica.ports._events import NO_STREAM
from tactica.stores.postgres import create_schema
from tactica.stores.sqlite import SQLiteConnection


def _line(record_property, variant: str, text: str) -> None:
    line = f"G4({variant}) {text}"
    print(line)
    record_property(f"g4_{variant}", line)


# (a) deterministic ---------------------------------------------------------------------------


@pytest.mark.parametrize("global_order", ["horizon", "table_lock"])
def test_g4a_late_commit_is_never_skipped(postgres_conninfo, global_order, record_property):
    """An event whose transaction commits after a later position was committed is delivered."""
    target = Target("postgresql", postgres_conninfo, global_order)
    store, writer_b, plain_store = target.store(), target.store(), target.store()
    runner = target.runner(store)
    plain = StoreReader(plain_store)
    naive = NaiveReader(target.connect())
    # The runner twin: the whole runner, reading in position order (see Target.twin).
    twin_store = target.twin().store()
    twin = target.twin().runner(twin_store, TwinCounting())
    followers = [runner, twin] if target.horizon else [runner]
    first = store.append("g4a-first", [ticked("first", 1)], NO_STREAM)
    for each in followers:
        assert each.run_until_caught_up() == 1

    holder = target.connect()
    held = write_one(holder, target, "g4a-held", 0, ticked("a", 1))
    committed: list[int] = []
    b = threading.Thread(
        target=lambda: committed.append(
            writer_b.append("g4a-late", [ticked("b", 1)], NO_STREAM).position
        )
    )
    b.start()
    b.join(0.5)
    # With the table lock, B queues behind A: it cannot commit while A is open.
    assert b.is_alive() == target.table_lock

    for _ in range(3):
        for each in followers:
            each.run_until_caught_up()
        plain.tick()
        naive.tick()
    assert checkpoint(naive.connection) == first.position
    assert plain.cursor == first.position

    holder.commit()
    holder.close()
    b.join(10)
    assert not b.is_alive()
    assert committed[0] > held.position

    for each in followers:
        each.run_until_caught_up()
    plain.tick()
    naive.tick()
    events = stored(naive.connection, target)
    counts = delivered(naive.connection)
    naive_missed = missed(events, naive.seen)
    twin_text = ""
    if target.horizon:
        twin_missed = missed(events, delivered(naive.connection, TWIN))
        twin_passed = passed_undelivered(naive.connection, target.twin(), TWIN)
        twin_text = f", runner twin missed={twin_missed} (checkpoint passed {twin_passed})"
    _line(
        record_property,
        "a",
        f"{target.name}: stored={len(events)}, seen={len(counts)}, "
        f"missed={missed(events, counts)}, duplicated={sum(counts.values()) - len(counts)}, "
        f"checkpoint passed {passed_undelivered(naive.connection, target)}, "
        f"read_all missed={missed(events, plain.seen)}, naive missed={naive_missed}{twin_text}",
    )
    assert counts == dict.fromkeys(events, 1)
    assert passed_undelivered(naive.connection, target) == 0
    assert sorted(plain.seen) == sorted(events)
    # The twins skip A's event exactly where positions are not commit order.
    assert naive_missed == (1 if target.horizon else 0)
    if target.horizon:
        assert twin_missed == twin_passed == 1
    for closing in (store, writer_b, plain_store, twin_store):
        closing.close()  # type: ignore[attr-defined]
    naive.connection.close()


# (b) state machine ---------------------------------------------------------------------------

MACHINE_SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_g4b_state_machine_never_moves_the_checkpoint_past_an_uncommitted_event(
    postgres_conninfo, record_property
):
    """Out-of-order commits, rollbacks and restarts never make the runner skip or repeat one."""
    machine = NoSkipMachine.on(postgres_conninfo)
    try:
        run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
    finally:
        machine.close()
    tally = machine.tally
    _line(
        record_property,
        "b",
        f"postgres/horizon (derandomized, {tally['examples']} examples): "
        f"stored={tally['stored']}, missed={tally['missed']}, duplicated={tally['duplicated']}, "
        f"naive missed={tally['naive missed']}, naive cursor past an uncommitted event "
        f"{tally['naive cursor passed an uncommitted event']} times",
    )
    assert tally["missed"] == tally["duplicated"] == 0
    assert tally["naive missed"] > 0


# (c) and (d) load ----------------------------------------------------------------------------

SECONDS = float(os.environ.get("TACTICA_G4_SECONDS", "4"))
RUNS = int(os.environ.get("TACTICA_G4_RUNS", "1"))
KILLS = 5
DESIGNS = ["postgres/horizon", "postgres/table_lock", "sqlite"]


@pytest.fixture(scope="module")
def subscribers() -> Iterator[Subscribers]:
    """The forking server of the subscriber processes (d) kills."""
    server = Subscribers()
    yield server
    server.close()


def _targets(design: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A fresh database per run: a namespace of the throwaway server, or a new file."""
    if design == "sqlite":
        for run in range(RUNS):
            path = tmp_path / f"g4-{run}.db"
            connection = SQLiteConnection(path)
            create_schema(connection)
            connection.close()
            yield Target("sqlite", str(path))
        return
    conninfo = request.getfixturevalue("postgres_conninfo")
    for _ in range(RUNS):
        target = Target("postgresql", conninfo, design.split("/")[1], f"g4_{uuid7().hex[-12:]}")
        connection = target.connect()
        create_schema(connection)
        connection.close()
        yield target


def _check(outcome: Outcome, target: Target) -> None:
    assert outcome.writer_errors == []
    assert outcome.stored > 100
    assert outcome.missed == 0
    assert outcome.duplicated == 0
    assert outcome.checkpoint_passed == 0
    assert outcome.seen == outcome.stored
    assert outcome.applied_live > 0
    # The twin misses exactly where positions are not commit order (see the module notes).
    if target.horizon:
        # The runner twin is reported, not asserted: how often its polls fall between two
        # overlapping commits is luck, where (a) makes it certain.
        assert outcome.naive_missed > 0
    else:
        assert outcome.naive_missed == 0


def _runs(variant: str, design: str, request, tmp_path: Path, record_property, **load) -> None:
    for run, target in enumerate(_targets(design, request, tmp_path)):
        run_seed = seed(4_970) + run
        outcome = Load(target, SECONDS, run_seed).run(**load)
        label = f"{variant}{run}" if RUNS > 1 else variant
        _line(record_property, label, f"{outcome.summary()}, seed {run_seed}")
        if "kills" in load:
            assert outcome.kills == [-9] * load["kills"]
        _check(outcome, target)


@pytest.mark.parametrize("design", DESIGNS)
def test_g4c_load_never_skips(design, request, tmp_path, record_property):
    """Under 8 overlapping writers the runner applies every committed event exactly once."""
    _runs("c", design, request, tmp_path, record_property)


@pytest.mark.parametrize("design", DESIGNS)
def test_g4d_killed_subscriber_never_skips(design, request, tmp_path, subscribers, record_property):
    """A subscriber SIGKILLed 5 times and restarted from its checkpoint applies each event once."""
    _runs("d", design, request, tmp_path, record_property, kills=KILLS, subscribers=subscribers)
