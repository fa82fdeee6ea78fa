"""Time-ordered identifiers: RFC 9562 UUID version 7.

`uuid7()` is on every hot path (each event and message gets one), so it avoids the
validating `UUID(int=...)` constructor and keeps its state in module globals.
"""

from __future__ import annotations

import os
import threading
import time
from uuid import UUID

__all__ = ["uuid7"]

_COUNTER_BITS = 42
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
# The counter restarts at a random value below half its range each millisecond, so a
# burst within one millisecond has 2**41 increments of head-room before it overflows.
_COUNTER_SEED_MASK = (1 << (_COUNTER_BITS - 1)) - 1
_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)

# Random bytes come from one os.urandom call per few hundred ids: the syscall costs more
# than the rest of uuid7() together. The pool is dropped in a forked child so that parent
# and child never hand out the same randomness.
_POOL_SIZE = 4000
_TAIL_BYTES = 10

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_pool = b""
_pool_offset = _POOL_SIZE

_new_uuid = object.__new__
_set = object.__setattr__


def uuid7() -> UUID:
    """Return a new version-7 UUID: a millisecond Unix timestamp followed by randomness.

    Values sort by creation time, which keeps B-tree indexes compact. Within one process
    they are strictly increasing, even for many calls in the same millisecond (RFC 9562,
    section 6.2, method 1: a 42-bit counter seeded randomly each millisecond) and across
    threads. If the clock steps back, the last timestamp is reused, so order still holds.
    """
    global _last_ms, _counter, _pool, _pool_offset  # noqa: PLW0603 - state outlives calls
    with _lock:
        if _pool_offset >= _POOL_SIZE:
            _pool = os.urandom(_POOL_SIZE)
            _pool_offset = 0
        tail = int.from_bytes(_pool[_pool_offset : _pool_offset + _TAIL_BYTES])
        _pool_offset += _TAIL_BYTES
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = (tail >> 32) & _COUNTER_SEED_MASK
        else:
            _counter += 1
            if _counter > _COUNTER_MAX:
                _last_ms += 1
                _counter = (tail >> 32) & _COUNTER_SEED_MASK
        ms, counter = _last_ms, _counter
    value = (
        (ms << 80)
        | ((counter >> 30) << 64)
        | ((counter & 0x3FFF_FFFF) << 32)
        | (tail & 0xFFFF_FFFF)
        | _VERSION_AND_VARIANT
    )
    result = _new_uuid(UUID)
    _set(result, "int", value)
    _set(result, "is_safe", _SAFE_UNKNOWN)
    return result


def _reset_after_fork() -> None:
    global _lock, _last_ms, _counter, _pool, _pool_offset  # noqa: PLW0603 - fresh child state
    _lock = threading.Lock()
    _last_ms = 0
    _counter = 0
    _pool = b""
    _pool_offset = _POOL_SIZE


# Imported late: SafeUUID is an enum and its member lookup is not free on the hot path.
from uuid import SafeUUID as _SafeUUID  # noqa: E402

_SAFE_UNKNOWN = _SafeUUID.unknown

if hasattr(os, "register_at_fork"):  # pragma: no branch - absent only on Windows
    os.register_at_fork(after_in_child=_reset_after_fork)
