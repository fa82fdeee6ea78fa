"""Load on PostgreSQL: concurrent appends and subscription lag, xid8 horizon against table lock.

GUARANTEES.md §9 sets load gates, and DESIGN.md asks that single-event appends with 8
concurrent writers under the gap-safe design (``global_order="horizon"``, the default)
reach at least 1.5x the table-lock design (``global_order="table_lock"``). This section
measures both designs side by side, in one run, on the same server:

- single-event appends/s with 4 and with 8 writer threads, and their p99 latency: each
  thread has a `PostgresEventStore` (one connection) of its own and appends one event of
  256 bytes at a time to a stream of its own, at the version it expects, as fast as it can;
- the same 8 writers with the payload-free ``pg_notify`` of every append transaction
  switched off (the store's ``_notify`` replaced by a no-op for that case only): PostgreSQL
  serialises the commits of notifying transactions on one lock, so this row says what that
  lock costs;
- batches of 100 events per transaction with 4 writers, in events/s;
- subscription lag: 4 writers paced (on a fixed schedule, not waiting for each other) at
  half the rate the 4 writers reached flat out in the same run, while a
  `ProjectionRunner.run()` thread (``poll_interval=0.02``, LISTEN wake-ups) applies the
  events; an event's lag is from its append returning to the runner's transaction having
  committed it (``tx.on_commit``). Then again with a foreign write transaction held open for
  T seconds in the middle of the window (horizon), or the events table's lock held for T
  seconds (table lock). A lock holder blocks the writers rather than the reader, so the
  stall row also gives the lag from each append's scheduled time, which counts that wait,
  and the row "missed" counts appended events the runner never applied (0 is the goal).

Throughput windows start after a short warm-up (connections, prepared statements); a case's
p99 is over every append that ended inside its window. Each run measures both designs, the
order alternating between runs (3 runs take about a minute, quick mode's one run a few
seconds); figures are medians over the runs with half their range, and the ratio
horizon / table_lock is paired per run. The gates printed are §9's (and DESIGN.md's 1.5x),
judged on each design's median; the summary line counts the default design's misses only.
Like the rest of ``make bench`` they are printed, never failed. Appends commit with the
server's durability settings, so an fsync of a few milliseconds bounds every rate here.

Payloads are one JSON document of a registered event, encoded once (256 bytes); every event
gets a fresh id and time. The projection writes no read model: each batch moves the
checkpoint in its own transaction, which is what the runner costs at least.

Everything happens in a PostgreSQL schema per design, ``tactica_bench_load_<run id>_...``,
dropped with everything in it at the end. The server is `bench.uow.POSTGRES`
(``TACTICA_BENCH_POSTGRES`` overrides it). The xid8 horizon is cluster-wide: while the
foreign transaction is held, every global read on the server waits, so point this at a
server of your own when others are testing on it (quick mode holds it 0.3 s).
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bench._timing import Sample
from bench.uow import POSTGRES, postgres_unreachable
from tactica import JsonCodec, TypeRegistry, uuid7
from tactica.dataclasses import DomainEvent
from tactica.ports import NewEvent

__all__ = [
    "DESIGNS",
    "FULL",
    "PAYLOAD_BYTES",
    "QUICK",
    "Filled",
    "Plan",
    "Results",
    "load_section",
    "main",
    "measure",
    "table",
]

DESIGNS = ("horizon", "table_lock")
PAYLOAD_BYTES = 256
BATCH = 100  # events per transaction in the batch case
POLL = 0.02  # the runner's poll interval, §9's "20 ms poll"
_EVENT_TYPE = "bench.load.filled"


@dataclass(frozen=True, slots=True)
class Plan:
    """How long each case runs, and how many runs there are."""

    name: str
    runs: int
    warmup: float  # seconds of a throughput case not counted
    window: float  # seconds of a throughput case counted
    lag_window: float  # seconds of paced appends in a lag case
    margin: float  # seconds of paced appends before and after the stall
    hold: float  # T: seconds the foreign transaction (or the lock) is held


FULL = Plan("full", runs=3, warmup=0.2, window=0.8, lag_window=0.8, margin=0.2, hold=3.0)
# Quick mode only proves that every case runs; its figures are too short-lived to quote.
QUICK = Plan("quick", runs=1, warmup=0.05, window=0.25, lag_window=0.3, margin=0.1, hold=0.3)


class Filled(DomainEvent, name=_EVENT_TYPE):
    """The appended event: a note that pads its JSON document to `PAYLOAD_BYTES`."""

    note: str


def _codec() -> JsonCodec:
    return JsonCodec(TypeRegistry([Filled]))


def _payload(codec: JsonCodec) -> bytes:
    bare = len(codec.encode(Filled(note="")))
    return codec.encode(Filled(note="x" * max(0, PAYLOAD_BYTES - bare)))


def _events(payload: bytes, count: int) -> list[NewEvent]:
    now = datetime.now(UTC)
    return [NewEvent(_EVENT_TYPE, payload, uuid7(), now) for _ in range(count)]


def _p99(values: Sequence[float]) -> float:
    # Nearest rank: the value 99% of the others are at or below.
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] if ordered else math.nan


def _threads(work: Sequence[Callable[[], None]]) -> None:
    """Run each callable in a thread of its own; re-raise the first failure once all end."""
    failures: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(job,), daemon=True) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


@contextmanager
def _notify_off() -> Iterator[None]:
    """Replace the append transaction's ``pg_notify`` by a no-op, in this process only."""
    from tactica.stores._sql import _event_store_sync as appends

    # The bench alone switches it off, to price the lock PostgreSQL takes for NOTIFY commits.
    sent = appends._notify  # noqa: SLF001
    appends._notify = lambda *_: None  # type: ignore[assignment]  # noqa: SLF001
    try:
        yield
    finally:
        appends._notify = sent  # noqa: SLF001


@dataclass
class _Design:
    """One design's schema, its writers' stores, the runner's store and a spare connection."""

    design: str
    conninfo: str
    namespace: str
    writers: list[Any]
    reader: Any
    admin: Any
    payload: bytes
    codec: JsonCodec


def _open(design: str, conninfo: str, run_id: str, resources: ExitStack) -> _Design:
    from tactica.stores.postgres import PostgresConnection, PostgresEventStore, create_schema

    namespace = f"tactica_bench_load_{run_id}_{design}"
    admin = PostgresConnection(conninfo, namespace=namespace)
    resources.callback(admin.close)
    resources.callback(admin.execute, f"DROP SCHEMA IF EXISTS {namespace} CASCADE")
    create_schema(admin)
    admin.execute("CREATE TABLE bench_foreign (note TEXT NOT NULL)")

    def store() -> Any:
        opened = PostgresEventStore(conninfo, namespace=namespace, global_order=design)
        resources.callback(opened.close)
        return opened

    codec = _codec()
    return _Design(
        design,
        conninfo,
        namespace,
        [store() for _ in range(8)],
        store(),
        admin,
        _payload(codec),
        codec,
    )


@dataclass(frozen=True, slots=True)
class _Flat:
    """A flat-out case: appends (or events) per second, and p99 append latency in seconds."""

    rate: float
    p99: float


def _flat_out(setup: _Design, writers: int, per_append: int, plan: Plan) -> _Flat:
    """Let `writers` threads append `per_append` events at a time as fast as they can."""
    start = 0.0
    timings: list[list[tuple[float, float]]] = [[] for _ in range(writers)]

    def started() -> None:
        nonlocal start
        start = time.perf_counter()

    # The clock starts when the last writer is ready, so no writer counts its connecting.
    barrier = threading.Barrier(writers, action=started, timeout=30)

    def writer(index: int) -> None:
        store, stream = setup.writers[index], f"w{index}-{uuid7().hex[-12:]}"
        version, done = 0, timings[index]
        barrier.wait()
        end = start + plan.warmup + plan.window
        while (began := time.perf_counter()) < end:
            result = store.append(stream, _events(setup.payload, per_append), version)
            version = result.stream_version
            done.append((began, time.perf_counter()))

    _threads([lambda i=i: writer(i) for i in range(writers)])
    low, high = start + plan.warmup, start + plan.warmup + plan.window
    counted = [end - began for done in timings for began, end in done if low <= end <= high]
    return _Flat(len(counted) * per_append / plan.window, _p99(counted))


@dataclass(frozen=True, slots=True)
class _Lag:
    """A paced case: p99 lags in seconds (from the return, from the schedule), and misses."""

    rate: float
    p99: float
    p99_scheduled: float
    missed: int
    duplicated: int


def _head(setup: _Design) -> int:
    # The last event in the runner's own order, so a new projection starts after it.
    order = "transaction_id DESC, position DESC" if setup.design == "horizon" else "position DESC"
    rows = setup.admin.fetch(f"SELECT position FROM tactica_events ORDER BY {order} LIMIT 1")
    return int(rows[0][0]) if rows else 0


def _hold(setup: _Design, seconds: float) -> Callable[[], None]:
    """Return a job that holds a foreign write transaction (or the events' lock) `seconds`."""
    from tactica.stores.postgres import PostgresConnection

    connection = PostgresConnection(setup.conninfo, namespace=setup.namespace)

    def job() -> None:
        try:
            connection.begin()
            if setup.design == "horizon":
                connection.execute("INSERT INTO bench_foreign (note) VALUES ('held')")
            else:
                connection.execute("LOCK TABLE tactica_events IN EXCLUSIVE MODE")
            time.sleep(seconds)
            connection.commit()
        finally:
            connection.close()

    return job


def _until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


class _Follower:
    """A `ProjectionRunner.run()` thread on a new projection, noting when it applies what."""

    def __init__(self, setup: _Design) -> None:
        from tactica.projections import ProjectionRunner, projection

        self.name = f"lag_{uuid7().hex[-12:]}"
        setup.admin.execute(
            "INSERT INTO tactica_checkpoints (name, position) VALUES (?, ?)",
            (self.name, _head(setup)),
        )
        self.applied: dict[int, float] = {}
        self.duplicated = 0
        self.failures: list[BaseException] = []
        follows = projection(self.name)

        # A plain function: `handles` marks what it registers, which a bound method refuses.
        @follows.handles(Filled)
        def apply(event: Filled, tx: Any) -> None:
            self._apply(event, tx)

        self._runner = ProjectionRunner(
            setup.reader, follows, codec=setup.codec, poll_interval=POLL
        )
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _apply(self, _event: Filled, tx: Any) -> None:
        position = tx.recorded.position
        tx.on_commit(lambda: self._mark(position))

    def _mark(self, position: int) -> None:
        self.duplicated += position in self.applied
        self.applied[position] = time.perf_counter()

    def _run(self) -> None:
        try:
            self._runner.run()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            self.failures.append(error)

    def wait(self, positions: Sequence[int], timeout: float) -> None:
        """Return once every one of `positions` is applied (or after `timeout` s)."""
        _until(lambda: all(p in self.applied for p in positions) or bool(self.failures), timeout)

    @contextmanager
    def running(self) -> Iterator[_Follower]:
        """Run the runner while in the block; re-raise its failure at the end."""
        self._thread.start()
        try:
            yield self
        finally:
            self._runner.stop()
            self._thread.join()
        if self.failures:
            raise self.failures[0]


def _paced_writer(
    setup: _Design, index: int, schedule: tuple[float, float, float], sent: list[Any]
) -> None:
    """Append one event at each of writer `index`'s times, late ones as soon as it can."""
    start, duration, interval = schedule
    store, stream = setup.writers[index], f"p{index}-{uuid7().hex[-12:]}"
    version = 0
    while (scheduled := start + (version * _PACED + index) * interval) < start + duration:
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        result = store.append(stream, _events(setup.payload, 1), version)
        sent.append((scheduled, time.perf_counter(), result.position))
        version += 1


_PACED = 4  # writers in the lag cases


def _paced(setup: _Design, rate: float, plan: Plan, *, stall: bool) -> _Lag:
    """Append at `rate`/s from 4 writers while a runner applies; optionally stall midway."""
    with _Follower(setup).running() as follower:
        # One event first, so the runner holds its lease and listens before the clock runs.
        first = setup.writers[0].append(f"warm-{follower.name}", _events(setup.payload, 1), 0)
        follower.wait([first.position], 10.0)
        duration = plan.margin * 2 + plan.hold if stall else plan.lag_window
        start = time.perf_counter() + 0.01
        sent: list[tuple[float, float, int]] = []  # list.append is atomic across threads
        jobs = [
            partial(_paced_writer, setup, index, (start, duration, 1 / rate), sent)
            for index in range(_PACED)
        ]
        if stall:
            holder = _hold(setup, plan.hold)

            def delayed() -> None:
                time.sleep(max(0.0, start + plan.margin - time.perf_counter()))
                holder()

            jobs.append(delayed)
        _threads(jobs)
        follower.wait([position for _, _, position in sent], plan.hold + 10.0)
    applied = follower.applied
    seen = [(scheduled, back, applied[p]) for scheduled, back, p in sent if p in applied]
    return _Lag(
        rate,
        _p99([max(0.0, at - back) for _, back, at in seen]),
        _p99([at - scheduled for scheduled, _, at in seen]),
        len(sent) - len(seen),
        follower.duplicated,
    )


@dataclass
class Results:
    """Every run's figures, per design and metric; rates per second, latencies in seconds."""

    plan: Plan
    figures: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, design: str, metric: str, value: float) -> None:
        """Record one run's `value` of `metric` for `design`."""
        self.figures.setdefault(design, {}).setdefault(metric, []).append(value)

    def of(self, design: str, metric: str) -> list[float]:
        """Return every run's value of `metric` for `design`, in run order."""
        return self.figures[design][metric]


def _measure_design(setup: _Design, plan: Plan, results: Results) -> None:
    design = setup.design
    four = _flat_out(setup, 4, 1, plan)
    eight = _flat_out(setup, 8, 1, plan)
    with _notify_off():
        quiet = _flat_out(setup, 8, 1, plan)
    batch = _flat_out(setup, 4, BATCH, plan)
    steady = _paced(setup, four.rate / 2, plan, stall=False)
    stalled = _paced(setup, four.rate / 2, plan, stall=True)
    for metric, value in (
        ("single4", four.rate),
        ("single4_p99", four.p99),
        ("single8", eight.rate),
        ("single8_p99", eight.p99),
        ("quiet8", quiet.rate),
        ("quiet8_p99", quiet.p99),
        ("batch4", batch.rate),
        ("batch4_p99", batch.p99),
        ("lag_rate", steady.rate),
        ("lag_p99", steady.p99),
        ("stall_p99", stalled.p99),
        ("stall_p99_scheduled", stalled.p99_scheduled),
        ("missed", steady.missed + stalled.missed),
        ("duplicated", steady.duplicated + stalled.duplicated),
    ):
        results.add(design, metric, value)


def measure(conninfo: str, plan: Plan, *, progress: Callable[[str], object] = print) -> Results:
    """Run `plan` on both designs, alternating their order per run; drop the schemas after."""
    results = Results(plan)
    with ExitStack() as resources:
        run_id = uuid7().hex[-12:]
        setups = {design: _open(design, conninfo, run_id, resources) for design in DESIGNS}
        for run in range(plan.runs):
            order = DESIGNS if run % 2 == 0 else DESIGNS[::-1]
            for design in order:
                began = time.perf_counter()
                _measure_design(setups[design], plan, results)
                progress(
                    f"  run {run + 1}/{plan.runs}, {design}: {time.perf_counter() - began:.1f} s"
                )
    return results


# --- the table ---------------------------------------------------------------------------

_WIDTHS = (40, 18, 18, 19, 17)


def _line(*cells: str) -> str:
    *fixed, last = cells
    padded = [cell.ljust(width) for cell, width in zip(fixed, _WIDTHS, strict=True)]
    return "  ".join([*padded, last]).rstrip()


@dataclass(frozen=True, slots=True)
class _Row:
    label: str
    metric: str
    unit: str  # "/s" or "ms"
    # §9's gate (or DESIGN.md's ratio): at least `floor` per second, at most `ceiling` s.
    floor: float | None = None
    ceiling: float | None = None
    ratio_goal: float | None = None


def _rows(plan: Plan) -> list[_Row]:
    stall = plan.hold + 0.2
    return [
        _Row("single appends/s, 4 writers", "single4", "/s", floor=800),
        _Row("  p99 append latency", "single4_p99", "ms", ceiling=0.020),
        _Row("single appends/s, 8 writers", "single8", "/s", floor=600, ratio_goal=1.5),
        _Row("  p99 append latency", "single8_p99", "ms", ceiling=0.050),
        _Row("single appends/s, 8 writers, no NOTIFY", "quiet8", "/s"),
        _Row("  p99 append latency", "quiet8_p99", "ms"),
        _Row(f"events/s, {BATCH}-event txns, 4 writers", "batch4", "/s", floor=6_000),
        _Row(f"  p99 latency per {BATCH}-event append", "batch4_p99", "ms"),
        _Row("lag p99 at 50% of 4-writer rate", "lag_p99", "ms", ceiling=0.050),
        _Row(f"lag p99, {plan.hold:g} s stall, from return", "stall_p99", "ms", ceiling=stall),
        _Row("  from scheduled time", "stall_p99_scheduled", "ms", ceiling=stall),
    ]


def _cell(values: list[float], unit: str) -> str:
    sample = Sample.of(values)
    spread = f" ±{sample.spread_pct:.0f}%" if sample.median > 0 else ""
    if unit == "/s":
        return f"{sample.median:,.0f}/s{spread}"
    ms = sample.median * 1000
    shown = f"{ms:,.0f}" if ms >= 100 else (f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}")
    return f"{shown} ms{spread}"


def _ratio(results: Results, row: _Row) -> Sample | None:
    if row.unit != "/s":
        return None
    pairs = zip(
        results.of("horizon", row.metric), results.of("table_lock", row.metric), strict=True
    )
    return Sample.of([ours / theirs for ours, theirs in pairs])


def _goal(row: _Row) -> str:
    if row.ratio_goal is not None:
        return f">= {row.floor:,.0f}/s; >= {row.ratio_goal:.2f}x"
    if row.floor is not None:
        return f">= {row.floor:,.0f}/s"
    if row.ceiling is not None:
        return f"<= {row.ceiling * 1000:,.0f} ms"
    return "-"


def _verdict(row: _Row, results: Results, ratio: Sample | None) -> tuple[str, bool]:
    """Say how each design's median stands against the row's gate.

    Also say whether the default design (horizon), and the ratio where there is one, meet
    it: the gates are tactica's, and table_lock's verdicts are there to compare.
    """
    if row.floor is None and row.ceiling is None:
        return "no goal set", True
    parts, within = [], True
    for design in DESIGNS:
        median = Sample.of(results.of(design, row.metric)).median
        ok = median >= row.floor if row.floor is not None else median <= (row.ceiling or 0)
        within &= ok or design != "horizon"
        missed = "UNDER" if row.floor is not None else "OVER"
        parts.append(f"{design} {'within' if ok else missed}")
    if row.ratio_goal is not None and ratio is not None:
        ok = ratio.median >= row.ratio_goal
        within &= ok
        parts.append(f"ratio {'within goal' if ok else 'UNDER GOAL'}")
    return ", ".join(parts), within


def _gain(results: Results, design: str) -> float:
    """Return the 8-writer rate without NOTIFY over the rate with it (medians)."""
    quiet = Sample.of(results.of(design, "quiet8")).median
    return quiet / Sample.of(results.of(design, "single8")).median


def table(results: Results) -> str:
    """Format `results`: one row per metric, the two designs side by side, with verdicts."""
    plan = results.plan
    header = _line(
        "load case", "horizon (xid8)", "table_lock", "horizon/table_lock", "goal", "note"
    )
    lines = [header, "-" * len(header)]
    failing: list[str] = []
    parent = ""
    for row in _rows(plan):
        ratio = _ratio(results, row)
        note, within = _verdict(row, results, ratio)
        # A sub-row ("  p99 ...") is named after the row above it in the summary.
        parent = parent if row.label.startswith(" ") else row.label
        if not within:
            failing.append(parent if row.label == parent else f"{parent}: {row.label.strip()}")
        if row.metric == "quiet8":
            gains = [f"{design} {_gain(results, design):.2f}x" for design in DESIGNS]
            note = f"vs NOTIFY on: {', '.join(gains)}"
        if row.metric == "lag_p99":
            rates = ", ".join(
                f"{Sample.of(results.of(d, 'lag_rate')).median:,.0f}/s" for d in DESIGNS
            )
            note = f"{note}; paced at {rates}"
        lines.append(
            _line(
                row.label,
                _cell(results.of("horizon", row.metric), row.unit),
                _cell(results.of("table_lock", row.metric), row.unit),
                "-" if ratio is None else f"{ratio.median:.2f}x ({ratio.low:.2f}-{ratio.high:.2f})",
                _goal(row),
                note,
            )
        )
    missed = [int(sum(results.of(d, "missed"))) for d in DESIGNS]
    duplicated = [int(sum(results.of(d, "duplicated"))) for d in DESIGNS]
    lines.append(
        _line(
            "events missed / applied twice by runner",
            f"{missed[0]} / {duplicated[0]}",
            f"{missed[1]} / {duplicated[1]}",
            "-",
            "0 / 0",
            "all lag runs",
        )
    )
    if any(missed) or any(duplicated):
        failing.append("events missed or applied twice")
    lines.append("")
    if failing:
        lines.append(f"Load goals missed by horizon (the default): {'; '.join(failing)}.")
    else:
        lines.append("horizon (the default) meets every load goal.")
    return "\n".join(lines)


def legend(plan: Plan) -> str:
    """Say what the figures are, for the lines above the table."""
    runs = f"median of {plan.runs} run{'s' if plan.runs != 1 else ''}"
    return (
        f"Load on PostgreSQL ({plan.name} mode): {runs}, ± half the range; ratio paired per run.\n"
        f"Flat-out cases: {plan.window:g} s counted after {plan.warmup:g} s of warm-up; "
        f"{PAYLOAD_BYTES} B events; a connection per writer thread.\n"
        f"Lag: return of the append -> runner's commit (poll {POLL * 1000:.0f} ms + LISTEN); "
        f"stall: a {plan.hold:g} s foreign write txn (horizon) or events-table lock (table_lock).\n"
        "Goals: GUARANTEES.md §9 and DESIGN.md (8 writers: horizon >= 1.5x table_lock); "
        "printed, never failed."
    )


def load_section(*, quick: bool, postgres: str = POSTGRES) -> str:
    """Measure and return the section's text, or one line saying why it was skipped."""
    plan = QUICK if quick else FULL
    reason = postgres_unreachable(postgres)
    if reason is not None:
        return f"Load on PostgreSQL: skipped: {reason}"
    print(legend(plan), flush=True)
    results = measure(postgres, plan, progress=lambda text: print(text, flush=True))
    return table(results)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.load``: only the load section."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short run")
    args = parser.parse_args(argv)
    print(load_section(quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
