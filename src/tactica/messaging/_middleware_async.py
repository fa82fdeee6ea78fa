"""Built-in middleware (async colour): logging, validation, retry, idempotency, keyed locks.

Each is a callable ``(message, call_next)`` to list in the bus's ``middleware=``; the first
listed runs outermost. They never log or keep payload values, only types and ids.
"""

from __future__ import annotations

import logging
import random as _random
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from tactica._acompat import AsyncLock, async_sleep
from tactica.errors import ConcurrencyError, ConflictRetriesExhaustedError, InvalidMessageError
from tactica.messaging._bus_async import AsyncNext
from tactica.messaging._retry import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF,
    DEFAULT_MAX_BACKOFF,
    check_schedule,
    full_jitter,
)

__all__ = [
    "AsyncIdempotent",
    "AsyncKeyedLocks",
    "AsyncLogCalls",
    "AsyncRetryOnConflict",
    "AsyncValidate",
]


# A parameter of RetryOnConflict is called `sleep`: its default needs another name.
_default_sleep = async_sleep


def _ids(message: object) -> dict[str, object]:
    return {
        "message_type": type(message).__qualname__,
        "message_id": getattr(message, "message_id", None) or getattr(message, "event_id", None),
        "correlation_id": getattr(message, "correlation_id", None),
    }


class AsyncLogCalls:
    """Log each handler call: type, ids, duration and outcome; never a payload value.

    Success is logged at DEBUG, failure at WARNING with the error's type (the error itself
    propagates unchanged).
    """

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger | None = None) -> None:
        """Log to `logger` (default: ``tactica.messaging``)."""
        self.logger = logger or logging.getLogger("tactica.messaging")

    async def __call__(self, message: object, call_next: AsyncNext) -> object:
        """Time the call and log its outcome."""
        started = time.perf_counter()
        try:
            result = await call_next(message)
        except Exception as error:
            fields = _ids(message) | {
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "outcome": type(error).__qualname__,
            }
            self.logger.warning("handled %(message_type)s: %(outcome)s", fields, extra=fields)
            raise
        if self.logger.isEnabledFor(logging.DEBUG):  # the common case pays for no dict
            fields = _ids(message) | {
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "outcome": "ok",
            }
            self.logger.debug("handled %(message_type)s: ok", fields, extra=fields)
        return result


class AsyncValidate:
    """Check every message before its handler runs: its own invariants again, then your rules.

    A message is checked when it is made, but one made around that check (pydantic's
    ``model_construct``, a field forced with ``object.__setattr__``) reaches the bus as it
    is; this middleware checks it at the door, before anything is written. `rules` maps a
    message type to checks for its instances (subclasses included) that raise
    ``ValueError`` or ``AssertionError`` with the reason, for rules that belong to this
    entry point rather than to the message, such as limits of a public API. A failure is
    `InvalidMessageError` naming the type and the reason; the handler is not called.
    """

    __slots__ = ("rules",)

    def __init__(
        self, rules: Mapping[type, Iterable[Callable[[Any], object]]] | None = None
    ) -> None:
        """Apply `rules` (type -> checks) after each message's own ``check_invariants``."""
        self.rules = {kind: tuple(checks) for kind, checks in (rules or {}).items()}

    async def __call__(self, message: object, call_next: AsyncNext) -> object:
        """Check `message`, then pass it on."""
        checks: list[Callable[[Any], object]] = []
        own = getattr(message, "check_invariants", None)
        if own is not None:
            checks.append(lambda _: own())
        for kind, rules in self.rules.items():
            if isinstance(message, kind):
                checks.extend(rules)
        for check in checks:
            try:
                check(message)
            except (ValueError, AssertionError) as error:
                name = type(message).__qualname__
                msg = f"{name} is invalid: {error}; it was refused before its handler ran"
                raise InvalidMessageError(msg) from error
        return await call_next(message)


class AsyncRetryOnConflict:
    """Run a command again when it loses an optimistic-concurrency race.

    Only message types listed in `types` are retried (a retry repeats the whole handler
    with a fresh unit of work, so the handler must be safe to run again). Before retry n
    it waits a time drawn uniformly from zero to ``min(max_backoff, backoff * 2 ** (n - 1))``
    seconds ("full jitter"): commands that collided wait different times, so they do not
    collide again in step. After `attempts` tries in all, `ConflictRetriesExhaustedError`
    (a `ConcurrencyError`) says how many ran over how long, with the last conflict chained.

    `random` (a float in [0, 1) per call) and `sleep` are the random source and the wait,
    for tests that want a fixed schedule. Retries cure occasional collisions; a hot
    aggregate, changed by many commands at once, is better served by `AsyncKeyedLocks` listed
    after this middleware: it runs the commands of one key one at a time in this process,
    which leaves conflicts only with other processes, for this middleware to retry.
    """

    __slots__ = ("attempts", "backoff", "max_backoff", "random", "sleep", "types")

    def __init__(
        self,
        types: Iterable[type],
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        random: Callable[[], float] = _random.random,
        sleep: Callable[[float], Awaitable[object]] = _default_sleep,
    ) -> None:
        """Retry messages of `types` up to `attempts` times in all, waiting as described."""
        check_schedule(attempts, backoff, max_backoff)
        self.types = tuple(types)
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.random = random
        self.sleep = sleep

    async def __call__(self, message: object, call_next: AsyncNext) -> object:
        """Call inwards, again after each conflict, while attempts remain."""
        if not isinstance(message, self.types):
            return await call_next(message)
        started = time.monotonic()
        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return await call_next(message)
            except ConcurrencyError as conflict:
                if attempt == self.attempts:
                    elapsed = time.monotonic() - started
                    name = type(message).__qualname__
                    raise ConflictRetriesExhaustedError(
                        name, attempt, elapsed, waited, conflict
                    ) from conflict
                delay = full_jitter(
                    attempt, base=self.backoff, cap=self.max_backoff, random=self.random
                )
                waited += delay
                await self.sleep(delay)
        raise AssertionError  # pragma: no cover - the loop returns or raises


class AsyncIdempotent:
    """Handle each command or query id once; a repeat gets the first result without running.

    A duplicate arriving while the first is still running waits for it. A failed call is
    not remembered, so the message may be retried. Events pass through: each of an event's
    handlers is called once per publish, and none of those calls repeats another. Results
    are kept in memory, for this process; durable deduplication across processes is the
    inbox's job.
    """

    __slots__ = ("_locks", "results")

    def __init__(self) -> None:
        """Start with no handled messages."""
        self.results: dict[object, Any] = {}
        self._locks: dict[object, AsyncLock] = {}

    async def __call__(self, message: object, call_next: AsyncNext) -> object:
        """Return the remembered result of this message id, or handle it once."""
        key = getattr(message, "message_id", None)
        if key is None:
            return await call_next(message)
        if key in self.results:
            return self.results[key]
        lock = self._locks.setdefault(key, AsyncLock())
        async with lock:
            if key in self.results:
                return self.results[key]
            result = await call_next(message)
            self.results[key] = result
        self._locks.pop(key, None)
        return result


class AsyncKeyedLocks:
    """Serialize handler calls that share a key, such as the aggregate they change.

    `keys` maps a message to the keys it needs (none: no locking). Locks are taken in
    sorted order, so two messages needing the same keys cannot deadlock, and are always
    released, whatever the handler does. Keys the current call chain already holds are
    not taken again, so the events a command publishes after its commit, and the commands
    its handler dispatches, go through even when they map to the same keys.

    For a hot aggregate, one that many concurrent commands change, key its commands by the
    aggregate's id: they then run one at a time in this process, so none of them conflicts
    with another and none is retried. The locks are this process's; list
    `AsyncRetryOnConflict` before this middleware for conflicts with other processes.
    `keys` sees every message, queries and events included: return no keys for those it
    does not lock.
    """

    __slots__ = ("_held", "_locks", "keys")

    def __init__(self, keys: Callable[[Any], Iterable[Hashable]]) -> None:
        """Lock by the keys `keys(message)` returns."""
        self.keys = keys
        self._locks: dict[Hashable, AsyncLock] = {}
        self._held: ContextVar[frozenset[Hashable]] = ContextVar(
            f"tactica_keyed_locks_{id(self)}", default=frozenset()
        )

    async def __call__(self, message: object, call_next: AsyncNext) -> object:
        """Hold every key's lock around the inner call."""
        held = self._held.get()
        wanted = sorted(set(self.keys(message)) - held, key=repr)
        locks = [self._locks.setdefault(key, AsyncLock()) for key in wanted]
        acquired: list[AsyncLock] = []
        try:
            for lock in locks:
                await lock.acquire()
                acquired.append(lock)
            token = self._held.set(held | set(wanted))
            try:
                return await call_next(message)
            finally:
                self._held.reset(token)
        finally:
            for lock in reversed(acquired):
                lock.release()
