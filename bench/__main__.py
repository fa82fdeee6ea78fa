"""``python -m bench``: the micro-benchmark table, then the load table (``--quick``: smoke run)."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from itertools import chain
from typing import NamedTuple

from bench import _report
from bench._timing import Paired, compare, measure
from bench.commands import command_cases
from bench.dispatch import dispatch_cases, peer_cases
from bench.event_store import event_store_cases
from bench.load import load_section
from bench.micro import Case, Skipped, cases
from bench.uow import uow_cases


class _Mode(NamedTuple):
    name: str
    repeats: int
    batch_ms: float


_FULL = _Mode("full", repeats=9, batch_ms=40.0)
# Quick mode only has to prove that every case runs, in a couple of seconds; its numbers
# are too short-lived to quote.
_QUICK = _Mode("quick", repeats=3, batch_ms=3.0)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"must be at least 1, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _noop() -> None:
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Side-by-side micro-benchmarks, as ratios."
    )
    parser.add_argument("--quick", action="store_true", help="short batches, few repeats")
    parser.add_argument("--repeat", type=_positive, metavar="N", help="batches per case")
    args = parser.parse_args(argv)

    mode = _QUICK if args.quick else _FULL
    repeats = args.repeat or mode.repeats
    target_ns = int(mode.batch_ms * 1_000_000)

    print(f"tactica micro-benchmarks ({mode.name} mode)")
    print(_report.environment())
    harness = measure(_noop, repeats=repeats, target_ns=target_ns)
    print(_report.legend(repeats=repeats, batch_ms=mode.batch_ms, harness=harness))
    print()
    print(_report.column_titles(), flush=True)
    results: list[tuple[Case, Paired]] = []
    # Cases are made one at a time, just before they are timed; `resources` holds what they
    # set up (an event loop, temporary databases, connections) until the table is done.
    with ExitStack() as resources:
        every_case = chain(
            cases(),
            dispatch_cases(),
            peer_cases(resources),
            uow_cases(resources),
            command_cases(resources),
            event_store_cases(resources, quick=args.quick),
        )
        for case in every_case:
            if isinstance(case, Skipped):
                print(_report.skipped(case), flush=True)
                continue
            batches = min(repeats, case.max_repeats or repeats)
            result = compare(
                case.subject,
                case.baseline,
                repeats=batches,
                target_ns=round(target_ns * case.batch_scale),
                batch=case.batch,
            )
            results.append((case, result))
            shown = batches if batches != repeats else None
            print(_report.row(case, result, batches=shown), flush=True)
    print()
    print(_report.summary(results))
    # Load figures are rates under concurrency, not paired ratios per call: a table of their own.
    print()
    print(load_section(quick=args.quick), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
