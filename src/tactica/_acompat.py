"""Paired async/sync primitives, so that the sync twin of an `*_async.py` module is a rename.

Async code uses the ``Async*`` / ``async_*`` names; ``tools/unasync.py`` drops the prefix, which
lands on the sync name defined here. Keep each pair next to each other.
"""

from __future__ import annotations

import asyncio
import threading
import time

__all__ = ["AsyncLock", "Lock", "async_sleep", "sleep"]

AsyncLock = asyncio.Lock
Lock = threading.Lock

async_sleep = asyncio.sleep
sleep = time.sleep
