"""The printed table: fixed-width columns so rows can be printed as soon as they are timed."""

from __future__ import annotations

import os
import platform

import msgspec
import pydantic

import tactica
from bench._timing import Paired, Sample
from bench.micro import Case

__all__ = ["column_titles", "environment", "legend", "row", "summary"]

# Every column but the last (the note) has a fixed width.
_WIDTHS = (20, 31, 15, 15, 22, 9)


def _line(*cells: str) -> str:
    *fixed, last = cells
    padded = [cell.ljust(width) for cell, width in zip(fixed, _WIDTHS, strict=True)]
    return "  ".join([*padded, last]).rstrip()


def environment() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.python_implementation()} {platform.python_version()} | "
        f"tactica {tactica.__version__} | msgspec {msgspec.__version__} | "
        f"pydantic {pydantic.VERSION} | {cpu}, {os.cpu_count()} CPUs | "
        f"{platform.platform(terse=True)}"
    )


def legend(*, repeats: int, batch_ms: float, harness: Sample) -> str:
    ns = f"ns/op: median of {repeats} batches of ~{batch_ms:g} ms (gc paused), ± half the range."
    ratio = "ratio: tactica / baseline, paired per batch: median (min-max); 1.00x is parity."
    loop = f"Every figure includes ~{harness.median:.0f} ns/op of timing loop (an empty call)."
    return f"{ns}\n{ratio}\n{loop}"


def column_titles() -> str:
    titles = ("case", "baseline", "tactica ns/op", "baseline ns/op", "ratio", "goal", "note")
    header = _line(*titles)
    return f"{header}\n{'-' * len(header)}"


def _ns(sample: Sample) -> str:
    return f"{sample.median:,.0f} ±{sample.spread_pct:.0f}%"


def _note(case: Case, ratio: Sample) -> str:
    goal = case.goal
    if goal is None:
        return "reference only" if case.reference else "no goal set"
    if ratio.median > goal:
        return "OVER GOAL"
    if ratio.high > goal:
        return "within goal (range crosses it)"
    return "within goal"


def row(case: Case, result: Paired) -> str:
    ratio = result.ratio
    return _line(
        case.name,
        case.baseline_label,
        _ns(result.subject),
        _ns(result.baseline),
        f"{ratio.median:.2f}x ({ratio.low:.2f}-{ratio.high:.2f})",
        f"<= {case.goal:.2f}x" if case.goal is not None else "-",
        _note(case, ratio),
    )


def summary(results: list[tuple[Case, Paired]]) -> str:
    goals = [
        (case, case.goal, result.ratio.median) for case, result in results if case.goal is not None
    ]
    over = [
        f"{case.name}: {ratio:.2f}x against a goal of <= {goal:.2f}x"
        for case, goal, ratio in goals
        if ratio > goal
    ]
    if not over:
        return f"All {len(goals)} goal lines are within their goal."
    lines = [f"{len(over)} of {len(goals)} goal lines are OVER their goal:", *over]
    return "\n  ".join(lines)
