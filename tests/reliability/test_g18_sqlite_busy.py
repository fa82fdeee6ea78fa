"""G18 on a real SQLite file: contending writers never see "database is locked".

4 threads in this process and 4 forked processes bump one counter in read-then-write units
of work, retrying on `ConcurrencyError`, for a few seconds. tactica's SQLite unit of work
(``BEGIN IMMEDIATE``, a long busy timeout, WAL) must let no SQLITE_BUSY reach a caller and
lose no update. The broken twin, a deferred ``BEGIN`` with a 1 ms busy timeout, must
surface "database is locked" in the same harness. Commits per second are printed, never
asserted: a shared 2-core machine is no place for timed assertions. Nothing in the workload
is drawn at random, so there is no seed to record; the interleaving is the scheduler's.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter as Tally
from pathlib import Path
from typing import Any

from _uow_harness import COUNTER_TYPE, Counter, CounterWork, Zygote, contend

from tactica.stores.sqlite import SQLiteConnection

THREADS = 4
PROCESSES = 4
COUNTER_ID = "the-counter"


def _contention(zygote: Zygote, path: Path, seconds: float, *, deferred: bool) -> dict[str, Any]:
    """Run the writers on one counter at once; return their tallies and what was stored."""
    with CounterWork(path) as uow:
        uow.counters.add(Counter(id=COUNTER_ID))
        uow.commit()
    # The forked writers and the threads start together, once every one of them is ready.
    start_at = time.time() + 0.5
    results: list[dict[str, Any]] = []

    def thread_writer() -> None:
        results.append(contend(str(path), COUNTER_ID, start_at, seconds, deferred=deferred))

    threads = [threading.Thread(target=thread_writer) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    base = path.with_suffix("")
    codes = zygote.run(
        kind="contend",
        processes=PROCESSES,
        path=str(path),
        counter_id=COUNTER_ID,
        start_at=start_at,
        seconds=seconds,
        deferred=deferred,
        results=str(base),
    )
    for thread in threads:
        thread.join()
    assert codes == [0] * PROCESSES
    thread_commits = sum(result["tally"].get("commits", 0) for result in results)
    results += [json.loads(Path(f"{base}-{i}.json").read_text()) for i in range(PROCESSES)]
    tally: Tally[str] = Tally()
    for result in results:
        tally.update(result["tally"])
    with CounterWork(path) as uow:
        counter = uow.counters.get(COUNTER_ID)
    reader = SQLiteConnection(path)
    [(outbox_rows,)] = reader.fetch(
        "SELECT count(*) FROM tactica_outbox WHERE type_name = 'tests.reliability.bumped'"
    )
    reader.close()
    return {
        "tally": tally,
        "samples": [sample for result in results for sample in result["samples"]][:5],
        "value": counter.value,
        "version": counter.version,
        "outbox": outbox_rows,
        "thread_commits": thread_commits,
        "seconds": seconds,
    }


def breaches(run: dict[str, Any]) -> list[str]:
    """Return every breach of G18 in a contention run; [] if it holds."""
    tally, found = run["tally"], []
    if tally["busy"]:
        found.append(f"{tally['busy']} 'database is locked' errors reached callers")
    if tally["other"]:
        found.append(f"{tally['other']} other errors: {run['samples']}")
    if run["value"] != tally["commits"] or run["version"] != tally["commits"] + 1:
        found.append(f"{tally['commits']} commits but counter {run['value']} v{run['version']}")
    if run["outbox"] != tally["commits"]:
        found.append(f"{tally['commits']} commits but {run['outbox']} outbox rows")
    return found


def _print_run(name: str, run: dict[str, Any]) -> None:
    tally = run["tally"]
    print(
        f"{name}: {THREADS} threads + {PROCESSES} processes for {run['seconds']} s on "
        f"{COUNTER_TYPE}: {tally['commits'] / run['seconds']:.0f} commits/s "
        f"({run['thread_commits']} by threads, {tally['commits'] - run['thread_commits']} by "
        f"processes), {tally['conflicts']} conflicts retried, {tally['busy']} busy, "
        f"{tally['other']} other; samples {run['samples']}"
    )


def test_contending_sqlite_writers_see_only_concurrency_errors_and_lose_no_update(
    zygote: Zygote, sqlite_path: Path
) -> None:
    """For 3 s (G18: 10 s; shorter for CI) 8 writers see no SQLITE_BUSY and lose no update."""
    run = _contention(zygote, sqlite_path, 3.0, deferred=False)
    _print_run("G18 SQLite, BEGIN IMMEDIATE", run)
    assert breaches(run) == []
    assert run["tally"]["commits"] > 0
    assert run["tally"]["conflicts"] > 0, "the writers did contend"


def test_the_deferred_begin_twin_surfaces_database_is_locked(
    zygote: Zygote, sqlite_path: Path
) -> None:
    """The same harness with a deferred BEGIN and 1 ms busy timeout surfaces SQLITE_BUSY."""
    run = _contention(zygote, sqlite_path, 1.5, deferred=True)
    _print_run("G18 SQLite, deferred BEGIN twin", run)
    assert any("database is locked" in breach for breach in breaches(run))
