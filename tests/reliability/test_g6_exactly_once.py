"""G6 on a SQLite file and PostgreSQL: every event has exactly one effect on a projection.

A counting projection (per account: total, count, applied positions) is run by a
`ProjectionRunner` in a child process that is killed at seeded random points: in the
handler before it writes, after it writes but before the commit, right after the commit
(``tx.on_commit``), and by SIGKILL from outside at a random moment of its work. It is
restarted each time until caught up; the documents must then equal an independent fold
over ``read_all`` (no position applied twice, none missing) and the checkpoint must be at
the last event. Two runners of the same projection racing (with the lease, and with the
lease bypassed so that only the checkpoint's compare-and-set keeps them apart) must apply
each position exactly once between them. The broken twins (checkpoint committed apart
from the documents; checkpoint moved with no compare) must double-apply.
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import signal
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _g6_model import (
    CRASH_ENV,
    KILLED,
    NAME,
    SPLIT_ENV,
    Accounts,
    Comparison,
    LeaseBypass,
    Target,
    UnconditionalCheckpoint,
    compare,
    feed,
    fold,
    new_codec,
    read_order,
    store_kind,
)
from _g6_projector import Forker
from _uow_harness import seed

from tactica import uuid7
from tactica.projections import ProjectionRunner
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
EVENTS = int(os.environ.get("TACTICA_G6_EVENTS", "2000"))
KILLS = int(os.environ.get("TACTICA_G6_KILLS", "10"))
MODES = ("before", "after_handler", "after_commit", "sigkill")
BATCHES = (5, 25, 100)
SIGKILLED = -signal.SIGKILL


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    """One interpreter with tactica imported, which forks the projectors the tests kill."""
    server = Forker()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """An empty event store with tactica's schema: a SQLite file, or a PostgreSQL namespace."""
    if request.param == "sqlite":
        from tactica.stores.sqlite import SQLiteConnection, create_schema

        path = tmp_path / "g6.db"
        connection = SQLiteConnection(path)
        create_schema(connection)
        connection.close()
        yield Target("sqlite", str(path))
        return
    with _postgres_target() as found:
        yield found


@contextlib.contextmanager
def _postgres_target() -> Iterator[Target]:
    """A namespace of its own on the shared PostgreSQL server, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    found = Target("postgres", POSTGRES, f"g6_{uuid7().hex[-12:]}")
    found.create()
    try:
        yield found
    finally:
        found.drop()


# Crashes -----------------------------------------------------------------------------------


def _launch(
    forker: Forker,
    target: Target,
    last: int,
    batch: int,
    *,
    crash: str = "",
    split: bool = False,
    kill_after: tuple[Any, int, float] | None = None,
) -> int:
    """Run a worker once; with `kill_after` (store, position, delay) SIGKILL it mid-work."""
    args = [*target.to_args(), str(last), str(batch)]
    pid = forker.start(args, {CRASH_ENV: crash, SPLIT_ENV: "1" if split else ""})
    if kill_after is not None:
        watcher, position, delay = kill_after
        while watcher.checkpoint(NAME) < position and _alive(pid):
            time.sleep(0.001)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    code = forker.wait()
    assert code in {0, KILLED, SIGKILLED}, f"the worker failed with {code} (see stderr)"
    return code


def _alive(pid: int) -> bool:
    """Whether the worker has not exited yet (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _crash_run(
    forker: Forker,
    target: Target,
    run_seed: int,
    kills: int,
    modes: tuple[str, ...],
    *,
    split: bool = False,
) -> tuple[Comparison, int, int, Counter[str]]:
    """Feed, then kill and restart the projector `kills` times, then let it finish."""
    rng = random.Random(run_seed)
    store = target.open()
    feed(store, EVENTS, rng)
    order = [event.position for event in read_order(store)]
    index = {position: i for i, position in enumerate(order)}
    plan = [modes[i % len(modes)] for i in range(kills)]
    rng.shuffle(plan)
    span = max(1, 2 * len(order) // (kills + 1))
    outcomes: Counter[str] = Counter()
    for mode in plan:
        done = store.checkpoint(NAME)
        ahead = order[index[done] + 1 :] if done else order
        if not ahead:
            outcomes["nothing left to kill"] += 1
            continue
        position = ahead[rng.randrange(min(span, len(ahead)))]
        batch = rng.choice(BATCHES)
        if mode == "sigkill":
            code = _launch(
                forker, target, order[-1], batch, kill_after=(store, position, rng.random() / 200)
            )
        else:
            code = _launch(
                forker, target, order[-1], batch, crash=f"{mode}:{position}", split=split
            )
        outcomes[f"{mode}: {'died' if code != 0 else 'finished first'}"] += 1
        assert code != 0 or mode == "sigkill", f"{mode} at {position} never struck"
    assert _launch(forker, target, order[-1], rng.choice(BATCHES), split=split) == 0
    comparison = compare(fold(store), store.documents(NAME, "accounts"))
    checkpoint = store.checkpoint(NAME)
    store.close()
    return comparison, checkpoint, order[-1], outcomes


def test_a_projection_killed_at_random_points_equals_the_fold_of_its_events(
    forker: Forker, target: Target
) -> None:
    """Killed before, inside and after commits and restarted: every event applied once."""
    run_seed, started = seed(6_001), time.perf_counter()
    comparison, checkpoint, last, outcomes = _crash_run(forker, target, run_seed, KILLS, MODES)
    print(
        f"G6 {target.backend}: seed {run_seed}, {EVENTS} events, {KILLS} kills {dict(outcomes)}, "
        f"{comparison}, checkpoint {checkpoint}/{last}, {time.perf_counter() - started:.1f} s"
    )
    assert comparison.exact, comparison
    assert checkpoint == last


def test_the_split_commit_twin_double_applies_a_batch_after_a_crash(
    forker: Forker, tmp_path: Path
) -> None:
    """Checkpoint committed apart from the documents: a death between them double-applies."""
    from tactica.stores.sqlite import SQLiteConnection, create_schema

    path = tmp_path / "g6-twin.db"
    connection = SQLiteConnection(path)
    create_schema(connection)
    connection.close()
    run_seed = seed(6_002)
    comparison, _, _, outcomes = _crash_run(
        forker, Target("sqlite", str(path)), run_seed, 3, ("between",), split=True
    )
    print(f"G6 split twin: seed {run_seed}, {dict(outcomes)}, {comparison}")
    assert comparison.double_applied > 0


# Concurrent instances ----------------------------------------------------------------------


def _race(
    target: Target, kind: type[Any] | None, run_seed: int, rounds: int = 20
) -> tuple[list[list[int]], int, Comparison, list[BaseException]]:
    """Two runner threads catch up together after each of `rounds` bursts of appends."""
    rng = random.Random(run_seed)
    writer = target.open()
    stores = [target.open(kind) for _ in range(2)]
    applied: list[list[int]] = [[], []]
    runners = [
        ProjectionRunner(store, Accounts(mine), codec=new_codec(), batch_size=rng.choice((5, 20)))
        for store, mine in zip(stores, applied, strict=True)
    ]
    # The barrier's action appends a burst, then both runners start on it at once.
    barrier = threading.Barrier(2, action=lambda: feed(writer, rng.randint(10, 60), rng))
    errors: list[BaseException] = []

    def work(runner: ProjectionRunner) -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)
                runner.run_until_caught_up()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ProjectionRunner(writer, Accounts(), codec=new_codec()).run_until_caught_up()
    comparison = compare(fold(writer), writer.documents(NAME, "accounts"))
    conflicts = sum(getattr(store, "conflicts", 0) for store in stores)
    for store in (writer, *stores):
        store.close()
    return applied, conflicts, comparison, errors


@pytest.mark.parametrize("bypass", [False, True], ids=["leased", "lease-bypassed"])
def test_two_runners_of_one_projection_apply_each_position_exactly_once(
    target: Target, bypass: bool
) -> None:
    """Two runners at once: each position applied by exactly one; the loser's CAS rolls back."""
    run_seed = seed(6_003)
    kind = store_kind(target, LeaseBypass) if bypass else None
    applied, conflicts, comparison, errors = _race(target, kind, run_seed)
    both = Counter(applied[0] + applied[1])
    print(
        f"G6 {target.backend} race ({'lease bypassed' if bypass else 'leased'}): seed "
        f"{run_seed}, applied {len(applied[0])} + {len(applied[1])}, conflicts rolled back "
        f"{conflicts}, {comparison}"
    )
    assert errors == []
    assert comparison.exact, comparison
    assert all(count == 1 for count in both.values())
    if bypass:
        assert conflicts > 0, "the race never reached the checkpoint's compare-and-set"
        assert applied[0]
        assert applied[1]


def test_the_unconditional_checkpoint_twin_double_applies_under_a_race(target: Target) -> None:
    """A checkpoint moved with no compare lets two unleased runners apply a batch twice."""
    run_seed = seed(6_004)
    kind = store_kind(target, UnconditionalCheckpoint)
    applied, _, comparison, errors = _race(target, kind, run_seed, rounds=15)
    print(f"G6 {target.backend} unconditional twin: seed {run_seed}, {comparison}")
    assert errors == []
    assert comparison.double_applied > 0
    assert set(applied[0]) & set(applied[1])


def test_a_runner_that_finds_the_lease_taken_closes_the_lease_connection() -> None:
    """A runner refused the lease returns 0 and leaves no PostgreSQL connection open."""
    with _postgres_target() as target:
        holder_store, runner_store = target.open(), target.open()
        holder = holder_store.lease(NAME, ttl=10.0)
        assert holder.acquire()
        runner = ProjectionRunner(runner_store, Accounts(), codec=new_codec())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert runner.run_until_caught_up() == 0
            gc.collect()
        holder.release()
        holder_store.close()
        runner_store.close()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
