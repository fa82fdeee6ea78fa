"""Batch timing: medians over repeats, with the spread kept visible."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat

__all__ = ["Paired", "Sample", "compare", "measure"]


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


def _batch_ns(fn: Callable[[], object], loops: int) -> int:
    # A collection landing in one batch but not the other would dwarf a sub-microsecond
    # difference, so the collector is paused while the clock runs.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in repeat(None, loops):
            fn()
        return time.perf_counter_ns() - start
    finally:
        if was_enabled:
            gc.enable()


def _loops_for(fn: Callable[[], object], target_ns: int) -> int:
    # Grow by tens until a batch is long enough to extrapolate from; this doubles as warm-up.
    loops = 1
    while True:
        elapsed = _batch_ns(fn, loops)
        if elapsed * 10 >= target_ns:
            return max(1, round(loops * target_ns / max(elapsed, 1)))
        loops *= 10


def measure(fn: Callable[[], object], *, repeats: int, target_ns: int) -> Sample:
    """Return nanoseconds per call of `fn` over `repeats` batches of about `target_ns`."""
    loops = _loops_for(fn, target_ns)
    return Sample.of([_batch_ns(fn, loops) / loops for _ in range(repeats)])


def compare(
    subject: Callable[[], object],
    baseline: Callable[[], object],
    *,
    repeats: int,
    target_ns: int,
) -> Paired:
    """Time `subject` and `baseline` in interleaved batches and pair them per repeat.

    Pairing each repeat's two batches, with the order alternating, keeps slow drift of the
    machine (frequency scaling, a noisy neighbour) out of the ratio as far as possible.
    """
    subject_loops = _loops_for(subject, target_ns)
    baseline_loops = _loops_for(baseline, target_ns)
    subject_ns: list[float] = []
    baseline_ns: list[float] = []
    for index in range(repeats):
        if index % 2:
            base = _batch_ns(baseline, baseline_loops) / baseline_loops
            subj = _batch_ns(subject, subject_loops) / subject_loops
        else:
            subj = _batch_ns(subject, subject_loops) / subject_loops
            base = _batch_ns(baseline, baseline_loops) / baseline_loops
        subject_ns.append(subj)
        baseline_ns.append(base)
    ratios = [s / b for s, b in zip(subject_ns, baseline_ns, strict=True)]
    return Paired(Sample.of(subject_ns), Sample.of(baseline_ns), Sample.of(ratios))
