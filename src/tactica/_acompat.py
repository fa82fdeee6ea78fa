"""Paired async/sync primitives, so that the sync twin of an `*_async.py` module is a rename.

Async code uses the ``Async*`` / ``async_*`` names; ``tools/unasync.py`` drops the prefix, which
lands on the sync name defined here. Keep each pair next to each other.
"""

from __future__ import annotations

import asyncio
import threading
import time

__all__ = [
    "AsyncLock",
    "Lock",
    "accepts_coroutines",
    "async_accepts_coroutines",
    "async_sleep",
    "sleep",
]

AsyncLock = asyncio.Lock
Lock = threading.Lock

async_sleep = asyncio.sleep
sleep = time.sleep

# Whether the code reading it is the async colour: async buses accept `async def` handlers
# and await what they return; sync ones must refuse them.
async_accepts_coroutines = True
accepts_coroutines = False
