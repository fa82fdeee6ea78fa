"""Paired async/sync primitives, so that the sync twin of an `*_async.py` module is a rename.

Async code uses the ``Async*`` / ``async_*`` names; ``tools/unasync.py`` drops the prefix, which
lands on the sync name defined here. Keep each pair next to each other.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

__all__ = [
    "AsyncLock",
    "Lock",
    "accepts_coroutines",
    "async_accepts_coroutines",
    "async_run_each",
    "async_sleep",
    "run_each",
    "sleep",
]

AsyncLock = asyncio.Lock
Lock = threading.Lock

async_sleep = asyncio.sleep
sleep = time.sleep


async def async_run_each(calls: list[Callable[[], Awaitable[object]]]) -> list[object]:
    """Run the calls concurrently; return results or raised exceptions, in order."""
    return await asyncio.gather(*(call() for call in calls), return_exceptions=True)


def run_each(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls one after another; return results or raised exceptions, in order."""
    results: list[object] = []
    for call in calls:
        try:
            results.append(call())
        except Exception as error:  # noqa: BLE001 - returned to the caller, as gather does
            results.append(error)
    return results


# Whether the code reading it is the async colour: async buses accept `async def` handlers
# and await what they return; sync ones must refuse them.
async_accepts_coroutines = True
accepts_coroutines = False
