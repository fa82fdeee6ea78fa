"""The wait schedule of ``RetryOnConflict`` (PURE): capped exponential backoff, full jitter.

Writers that lost a race together and then wait the same time collide again, attempt after
attempt; drawing each wait uniformly from zero to the exponential ceiling ("full jitter")
spreads them out, so each round has fewer contenders than the one before.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from tactica.errors import ConfigurationError

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_BACKOFF",
    "DEFAULT_MAX_BACKOFF",
    "check_schedule",
    "full_jitter",
]

# Sized so that 8 workers sending 200 commands to one aggregate, on a SQLite file or on
# PostgreSQL, all get through: a writer that keeps losing must outwait the burst (measured
# over 12,000 such commands: none ran out, the most attempts one needed was 11). The waits
# of one command total at most about 5 s.
DEFAULT_ATTEMPTS = 16
DEFAULT_BACKOFF = 0.005
DEFAULT_MAX_BACKOFF = 0.5

# 2.0 ** 1024 overflows a float; a ceiling past the cap is the cap anyway.
_MAX_DOUBLINGS = 1000


def full_jitter(retry: int, *, base: float, cap: float, random: Callable[[], float]) -> float:
    """Return the wait before retry `retry` (1 for the first): uniform in [0, ceiling].

    The ceiling is ``min(cap, base * 2 ** (retry - 1))``; `random` gives the fraction of it,
    a float in [0, 1] (a value outside, or NaN, is clamped, so the wait is never negative).
    """
    ceiling = min(cap, base * 2.0 ** min(retry - 1, _MAX_DOUBLINGS))
    fraction = random()
    return (min(fraction, 1.0) if fraction > 0.0 else 0.0) * ceiling


def check_schedule(attempts: object, backoff: object, max_backoff: object) -> None:
    """Refuse a schedule that cannot work, naming the argument and what it may be."""
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        msg = f"RetryOnConflict attempts must be an int of at least 1, not {attempts!r}"
        raise ConfigurationError(msg)
    for name, value in (("backoff", backoff), ("max_backoff", max_backoff)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            msg = f"RetryOnConflict {name} must be a finite number of seconds >= 0, not {value!r}"
            raise ConfigurationError(msg)
