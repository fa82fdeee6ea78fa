"""Paired helpers that make contract code race for real in both colours."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["AsyncBarrier", "Barrier", "async_run_all", "run_all"]

T = TypeVar("T")

AsyncBarrier = asyncio.Barrier
Barrier = threading.Barrier


async def async_run_all(workers: list[Callable[[], Awaitable[T]]]) -> list[T | BaseException]:
    """Run every worker as a concurrent task; return results or exceptions in order."""
    return await asyncio.gather(*(worker() for worker in workers), return_exceptions=True)


def run_all(workers: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run every worker in its own thread; return results or exceptions in order."""

    def guarded(worker: Callable[[], T]) -> T | BaseException:
        try:
            return worker()
        except Exception as error:  # noqa: BLE001 - reported to the caller as a value
            return error

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        return list(pool.map(guarded, workers))
