"""Batch timing: medians over repeats, with the spread kept visible."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from typing import Any

__all__ = ["AsyncBatch", "Batch", "Paired", "Sample", "compare", "measure", "sync_batch"]

Batch = Callable[[Callable[[], Any], int], int]
"""Call a function `loops` times and return the nanoseconds that took."""


@dataclass(frozen=True, slots=True)
class Sample:
    """The median of several repeats and the range they spanned."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Sample:
        return cls(statistics.median(values), min(values), max(values))

    @property
    def spread_pct(self) -> float:
        """Half the min-max range, as a percentage of the median."""
        return (self.high - self.low) / 2 / self.median * 100


@dataclass(frozen=True, slots=True)
class Paired:
    """Nanoseconds per call of a subject and its baseline, and their per-repeat ratio."""

    subject: Sample
    baseline: Sample
    ratio: Sample


@contextmanager
def _gc_paused() -> Iterator[None]:
    # A collection landing in one batch but not the other would dwarf a sub-microsecond
    # difference, so the collector is paused while the clock runs.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sync_batch(fn: Callable[[], object], loops: int) -> int:
    """Call `fn` `loops` times; return the nanoseconds that took."""
    with _gc_paused():
        start = time.perf_counter_ns()
        for _ in repeat(None, loops):
            fn()
        return time.perf_counter_ns() - start


class AsyncBatch:
    """Await `fn()` `loops` times in one coroutine on a long-lived event loop.

    The loop is started once (by `runner`) and the clock runs inside the coroutine, so a
    batch pays neither a loop start nor a task per call: each iteration is one ``await`` of
    the call under test, the same for every side compared.
    """

    __slots__ = ("_runner",)

    def __init__(self, runner: asyncio.Runner) -> None:
        """Run batches on `runner`'s loop; the caller closes the runner."""
        self._runner = runner

    def __call__(self, fn: Callable[[], Awaitable[object]], loops: int) -> int:
        """Await `fn()` `loops` times; return the nanoseconds that took."""
        return self._runner.run(self._timed(fn, loops))

    @staticmethod
    async def _timed(fn: Callable[[], Awaitable[object]], loops: int) -> int:
        with _gc_paused():
            start = time.perf_counter_ns()
            for _ in repeat(None, loops):
                await fn()
            return time.perf_counter_ns() - start


def _loops_for(fn: Callable[[], Any], target_ns: int, batch: Batch) -> int:
    # Grow by tens until a batch is long enough to extrapolate from; this doubles as warm-up.
    loops = 1
    while True:
        elapsed = batch(fn, loops)
        if elapsed * 10 >= target_ns:
            return max(1, round(loops * target_ns / max(elapsed, 1)))
        loops *= 10


def measure(
    fn: Callable[[], Any], *, repeats: int, target_ns: int, batch: Batch = sync_batch
) -> Sample:
    """Return nanoseconds per call of `fn` over `repeats` batches of about `target_ns`."""
    loops = _loops_for(fn, target_ns, batch)
    return Sample.of([batch(fn, loops) / loops for _ in range(repeats)])


def compare(
    subject: Callable[[], Any],
    baseline: Callable[[], Any],
    *,
    repeats: int,
    target_ns: int,
    batch: Batch = sync_batch,
) -> Paired:
    """Time `subject` and `baseline` in interleaved batches and pair them per repeat.

    Pairing each repeat's two batches, with the order alternating, keeps slow drift of the
    machine (frequency scaling, a noisy neighbour) out of the ratio as far as possible.
    Both sides are driven by the same `batch` (plain calls, or awaits on one event loop).
    """
    subject_loops = _loops_for(subject, target_ns, batch)
    baseline_loops = _loops_for(baseline, target_ns, batch)
    subject_ns: list[float] = []
    baseline_ns: list[float] = []
    for index in range(repeats):
        if index % 2:
            base = batch(baseline, baseline_loops) / baseline_loops
            subj = batch(subject, subject_loops) / subject_loops
        else:
            subj = batch(subject, subject_loops) / subject_loops
            base = batch(baseline, baseline_loops) / baseline_loops
        subject_ns.append(subj)
        baseline_ns.append(base)
    ratios = [s / b for s, b in zip(subject_ns, baseline_ns, strict=True)]
    return Paired(Sample.of(subject_ns), Sample.of(baseline_ns), Sample.of(ratios))
