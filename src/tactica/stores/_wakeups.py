"""In-process wake-ups: a commit signals the runners of this process that wait for events.

Thread-safe and usable from both colours; events committed by other processes are found
by the runners' polling instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref

__all__ = ["AsyncInProcessListener", "InProcessListener", "Wakeups", "wakeups_for"]


class Wakeups:
    """Counts commits and wakes whoever waits for the next one."""

    def __init__(self) -> None:
        """Start with no commit counted and nobody waiting."""
        self._lock = threading.Lock()
        self.count = 0
        self._threads: set[threading.Event] = set()
        self._tasks: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def notify(self) -> None:
        """Count a commit and wake every waiter."""
        with self._lock:
            self.count += 1
            threads, tasks = list(self._threads), list(self._tasks)
        for event in threads:
            event.set()
        for loop, signal in tasks:
            if not loop.is_closed():
                loop.call_soon_threadsafe(signal.set)

    def watch_thread(self, event: threading.Event, *, watching: bool) -> None:
        """Start (or stop) waking `event` at each commit."""
        with self._lock:
            (self._threads.add if watching else self._threads.discard)(event)

    def watch_task(
        self, entry: tuple[asyncio.AbstractEventLoop, asyncio.Event], *, watching: bool
    ) -> None:
        """Start (or stop) waking a task's event, on its loop, at each commit."""
        with self._lock:
            (self._tasks.add if watching else self._tasks.discard)(entry)


class InProcessListener:
    """Waits (in a thread) for the next commit counted by a `Wakeups`."""

    def __init__(self, wakeups: Wakeups) -> None:
        """Listen to `wakeups`, from the commits counted so far on."""
        self._wakeups = wakeups
        self._seen = wakeups.count

    def wait(self, timeout: float) -> None:
        """Return when a commit was counted since the last return, or after `timeout` s."""
        event = threading.Event()
        self._wakeups.watch_thread(event, watching=True)
        try:
            if self._wakeups.count == self._seen:
                event.wait(timeout)
        finally:
            self._wakeups.watch_thread(event, watching=False)
            self._seen = self._wakeups.count


class AsyncInProcessListener:
    """Waits (in a task) for the next commit counted by a `Wakeups`."""

    def __init__(self, wakeups: Wakeups) -> None:
        """Listen to `wakeups`, from the commits counted so far on."""
        self._wakeups = wakeups
        self._seen = wakeups.count

    async def wait(self, timeout: float) -> None:
        """Return when a commit was counted since the last return, or after `timeout` s."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        self._wakeups.watch_task(entry, watching=True)
        try:
            if self._wakeups.count == self._seen:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(entry[1].wait(), timeout)
        finally:
            self._wakeups.watch_task(entry, watching=False)
            self._seen = self._wakeups.count


_SHARED: weakref.WeakValueDictionary[str, Wakeups] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def wakeups_for(key: str) -> Wakeups:
    """Return the wake-ups every store of this process on the database `key` shares."""
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is None:
            found = _SHARED[key] = Wakeups()
        return found
