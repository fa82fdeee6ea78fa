"""The printed table: fixed-width columns so rows can be printed as soon as they are timed."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
from importlib import metadata

import msgspec
import pydantic

import tactica
from bench._timing import Paired, Sample
from bench.micro import Case, Skipped

__all__ = ["column_titles", "environment", "legend", "row", "skipped", "summary"]

# Every column but the last (the note) has a fixed width.
_WIDTHS = (31, 31, 19, 19, 26, 9)


def _line(*cells: str) -> str:
    *fixed, last = cells
    padded = [cell.ljust(width) for cell, width in zip(fixed, _WIDTHS, strict=True)]
    return "  ".join([*padded, last]).rstrip()


def _installed(distribution: str) -> str:
    # psycopg comes with the postgres extra, which a bench run may lack (its rows are then
    # skipped), so the header must not need it.
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.python_implementation()} {platform.python_version()} | "
        f"tactica {tactica.__version__} | msgspec {msgspec.__version__} | "
        f"pydantic {pydantic.VERSION} | python-cqrs {_installed('python-cqrs')} | "
        f"eventsourcing {_installed('eventsourcing')} | psycopg {_installed('psycopg')} | "
        f"SQLite {sqlite3.sqlite_version}\n"
        f"{cpu}, {os.cpu_count()} CPUs | {platform.platform(terse=True)}"
    )


def legend(*, repeats: int, batch_ms: float, harness: Sample) -> str:
    ns = f"ns/op: median of {repeats} batches of ~{batch_ms:g} ms (gc paused), ± half the range."
    ratio = "ratio: tactica / baseline, paired per batch: median (min-max); 1.00x is parity."
    loop = f"Every figure includes ~{harness.median:.0f} ns/op of timing loop (an empty call)."
    drive = "Async rows await each call in one coroutine on a running event loop, on both sides."
    return f"{ns}\n{ratio}\n{loop}\n{drive}"


def column_titles() -> str:
    titles = ("case", "baseline", "tactica ns/op", "baseline ns/op", "ratio", "goal", "note")
    header = _line(*titles)
    return f"{header}\n{'-' * len(header)}"


def _ns(sample: Sample) -> str:
    return f"{sample.median:,.0f} ±{sample.spread_pct:.0f}%"


def _ratio(ratio: Sample) -> str:
    # Two decimals; below 0.01 (a load from a snapshot against a full replay), two
    # significant figures of the lowest, which two decimals would show as 0.00.
    places = 2
    if 0 < ratio.low < 0.01:
        places = 1 - math.floor(math.log10(ratio.low))
    return f"{ratio.median:.{places}f}x ({ratio.low:.{places}f}-{ratio.high:.{places}f})"


def _ms(ns: float) -> str:
    ms = ns / 1e6
    # About three significant figures: "0.18", "13.4", "168".
    if ms >= 100:
        return f"{ms:,.0f}"
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def _judged(sample: Sample, goal: float) -> str:
    if sample.median > goal:
        return "OVER GOAL"
    if sample.high > goal:
        return "within goal (range crosses it)"
    return "within goal"


def _verdict(case: Case, result: Paired) -> str:
    # A time budget judges the subject's own time; a ratio goal, the ratio to the baseline.
    if case.budget_ns is not None:
        return _judged(result.subject, case.budget_ns)
    if case.goal is None:
        return "reference only" if case.reference else "no goal set"
    return _judged(result.ratio, case.goal)


def _note(case: Case, result: Paired, batches: int | None) -> str:
    parts = [_verdict(case, result)]
    if batches is not None:
        parts.append(f"{batches} batch{'es' if batches != 1 else ''}")
    if case.call is not None:
        # Times from the medians, for rows whose goal (or usual question) is a time.
        subject_ms, baseline_ms = _ms(result.subject.median), _ms(result.baseline.median)
        parts.append(f"{subject_ms} vs {baseline_ms} ms per {case.call}")
    if case.unit is not None:
        # Rates from the medians, for rows where "how many per second" is the usual question.
        per_second = 1e9 * case.per_call
        ours, theirs = per_second / result.subject.median, per_second / result.baseline.median
        parts.append(f"{ours:,.0f} vs {theirs:,.0f} {case.unit}s/s")
    return "; ".join(parts)


def _goal(case: Case) -> str:
    if case.budget_ns is not None:
        return f"<= {case.budget_ns / 1e6:g} ms"
    return f"<= {case.goal:.2f}x" if case.goal is not None else "-"


def row(case: Case, result: Paired, *, batches: int | None = None) -> str:
    """Format one timed comparison; `batches` when the row timed fewer than the legend says."""
    ratio = result.ratio
    return _line(
        case.name,
        case.baseline_label,
        _ns(result.subject),
        _ns(result.baseline),
        _ratio(ratio),
        _goal(case),
        _note(case, result, batches),
    )


def skipped(entry: Skipped) -> str:
    """Format a row that could not be timed, with the reason in the note column."""
    return _line(entry.name, entry.baseline_label, "-", "-", "-", "-", f"skipped: {entry.reason}")


def summary(results: list[tuple[Case, Paired]]) -> str:
    goals = [
        (case, result) for case, result in results if (case.goal, case.budget_ns) != (None, None)
    ]
    over: list[str] = []
    for case, result in goals:
        if case.budget_ns is not None:
            if result.subject.median > case.budget_ns:
                ours = _ms(result.subject.median)
                over.append(f"{case.name}: {ours} ms against a goal of {_goal(case)}")
        elif case.goal is not None and result.ratio.median > case.goal:
            ratio = result.ratio.median
            over.append(f"{case.name}: {ratio:.2f}x against a goal of {_goal(case)}")
    if not over:
        return f"All {len(goals)} goal lines are within their goal."
    lines = [f"{len(over)} of {len(goals)} goal lines are OVER their goal:", *over]
    return "\n  ".join(lines)
