"""G18 for the event store on a real SQLite file: contending writers never see "database is locked".

4 threads in this process and 4 forked processes append to one stream for 3 s, each at
the version it just read, retrying on `WrongExpectedVersionError`. tactica's SQLite event
store (``BEGIN IMMEDIATE``, a long busy timeout, WAL) must let no SQLITE_BUSY reach a
caller, and the stream must end at exactly as many events as appends were acked, each
acked event stored once. The broken twin, the same store on a deferred ``BEGIN`` with a
1 ms busy timeout, must surface "database is locked" in the same harness. Appends per
second are printed, never asserted: a shared 2-core machine is no place for timed
assertions. Nothing in the workload is drawn at random, so there is no seed to record.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _event_store_harness import Forker, contend, recorded_events

THREADS = 4
PROCESSES = 4
STREAM = "g18-stream"


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    server = Forker()
    yield server
    server.close()


def _contention(forker: Forker, path: Path, seconds: float, *, deferred: bool) -> dict[str, Any]:
    """Run the writers on one stream at once; return their tallies and what was stored."""
    # The forked writers and the threads start together, once every one of them is ready.
    start_at = time.time() + 0.5
    options = {"path": str(path), "stream_id": STREAM, "start_at": start_at, "seconds": seconds}
    results: list[dict[str, Any]] = []

    def thread_writer(index: int) -> None:
        results.append(contend(index=index, writer="thread", deferred=deferred, **options))

    threads = [threading.Thread(target=thread_writer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    base = path.with_suffix("")
    pids = forker.fork(
        "contend", PROCESSES, writer="process", deferred=deferred, results=str(base), **options
    )
    for thread in threads:
        thread.join()
    assert forker.wait(pids) == [0] * PROCESSES
    by_threads = sum(result["tally"].get("appends", 0) for result in results)
    results += [json.loads(Path(f"{base}-{i}.json").read_text()) for i in range(PROCESSES)]
    tally: Counter[str] = Counter()
    for result in results:
        tally.update(result["tally"])
    acked = Counter(event_id for result in results for event_id in result["acked"])
    events = [event for event in recorded_events(path) if event.stream_id == STREAM]
    stored = Counter(str(event.event_id) for event in events)
    return {
        "tally": tally,
        "samples": [sample for result in results for sample in result["samples"]][:5],
        "versions": [event.stream_version for event in events],
        "acked but not stored once": sorted(key for key in acked if stored[key] != 1),
        "stored but not acked": sorted(set(stored) - set(acked)),
        "by threads": by_threads,
        "seconds": seconds,
    }


def breaches(run: dict[str, Any]) -> list[str]:
    """Return every breach of G18 in a contention run; [] if it holds."""
    tally, found = run["tally"], []
    if tally["busy"]:
        found.append(f"{tally['busy']} 'database is locked' errors reached callers")
    if tally["other"]:
        found.append(f"{tally['other']} other errors: {run['samples']}")
    if run["versions"] != list(range(1, tally["appends"] + 1)):
        found.append(f"{tally['appends']} appends acked but versions {run['versions'][-3:]}...")
    found += [
        f"{len(run[key])} events {key}"
        for key in ("acked but not stored once", "stored but not acked")
        if run[key]
    ]
    return found


def _print_run(name: str, run: dict[str, Any]) -> None:
    tally = run["tally"]
    print(
        f"{name}: {THREADS} threads + {PROCESSES} processes for {run['seconds']} s on one "
        f"stream: {tally['appends'] / run['seconds']:.0f} appends/s ({run['by threads']} by "
        f"threads, {tally['appends'] - run['by threads']} by processes), {tally['conflicts']} "
        f"conflicts retried, {tally['busy']} busy, {tally['other']} other; "
        f"samples {run['samples']}"
    )


def test_contending_event_store_writers_see_only_conflicts_and_lose_no_append(
    forker: Forker, sqlite_path: Path
) -> None:
    """For 3 s (G18: 10 s; shorter for CI) 8 writers see no SQLITE_BUSY and lose no append."""
    run = _contention(forker, sqlite_path, 3.0, deferred=False)
    _print_run("G18 SQLite event store, BEGIN IMMEDIATE", run)
    assert breaches(run) == []
    assert run["by threads"] > 0
    assert run["tally"]["appends"] > run["by threads"], "the processes appended too"
    assert run["tally"]["conflicts"] > 0, "the writers did contend"


def test_the_deferred_begin_twin_surfaces_database_is_locked(
    forker: Forker, sqlite_path: Path
) -> None:
    """The same harness with a deferred BEGIN and 1 ms busy timeout surfaces SQLITE_BUSY."""
    run = _contention(forker, sqlite_path, 1.5, deferred=True)
    _print_run("G18 SQLite event store, deferred BEGIN twin", run)
    assert any("database is locked" in breach for breach in breaches(run))
