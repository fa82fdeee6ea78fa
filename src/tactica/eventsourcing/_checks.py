"""Checks of the constructor arguments of the event-sourcing package: PURE.

A wrong argument is a `ConfigurationError` naming it and what it may be, raised when the
object is built rather than as an ``AttributeError`` at the first load or commit.
"""

from __future__ import annotations

from typing import TypeVar

from tactica.codec import JsonCodec
from tactica.codec._upcasting import Upcasters
from tactica.errors import ConfigurationError

__all__ = [
    "DEFAULT_SNAPSHOT_EVERY",
    "MAX_VERSION",
    "check_codec",
    "check_count",
    "check_has",
    "check_prefix",
    "check_upcasters",
    "snapshot_policy",
]

MAX_VERSION = 2**63 - 1
"""The highest stream version any store keeps (a signed 64-bit column)."""

DEFAULT_SNAPSHOT_EVERY = 100
"""How many folded events make a load save a snapshot, unless told otherwise."""

S = TypeVar("S")


def snapshot_policy(
    own: S, *, snapshots: S | bool | None, snapshot_every: object
) -> tuple[S | None, int]:
    """Return where a unit's event-sourced repository keeps snapshots, and how often.

    The one rule of every unit's ``event_sourced``: `snapshots` is a snapshot store, or
    ``True`` for the unit's own store (`own`); giving `snapshot_every` alone also means the
    unit's own store, since asking for a frequency and getting no snapshots would be a
    silent surprise. ``snapshots=False`` turns them off whatever the frequency.
    """
    every = (
        DEFAULT_SNAPSHOT_EVERY
        if snapshot_every is None
        else check_count("snapshot_every", snapshot_every, 1)
    )
    if snapshots is True or (snapshots is None and snapshot_every is not None):
        return own, every
    if snapshots is None or snapshots is False:
        return None, every
    return snapshots, every


def check_count(name: str, value: object, minimum: int, maximum: int = MAX_VERSION) -> int:
    """Return `value` if it is an int in ``minimum..maximum`` (never a bool), else raise."""
    if type(value) is not int or not minimum <= value <= maximum:
        msg = f"{name} must be an int from {minimum} to {maximum}, not {value!r:.80}"
        raise ConfigurationError(msg)
    return value


def check_codec(owner: str, codec: object) -> JsonCodec | None:
    """Return `codec` if it is ``None`` or a `JsonCodec`, else raise."""
    if codec is not None and not isinstance(codec, JsonCodec):
        msg = (
            f"{owner} needs codec=None or a JsonCodec (JsonCodec(TypeRegistry([...]))), "
            f"not {type(codec).__qualname__}"
        )
        raise ConfigurationError(msg)
    return codec


def check_upcasters(owner: str, upcasters: object) -> Upcasters | None:
    """Return `upcasters` if it is ``None`` or an `Upcasters`, else raise."""
    if upcasters is not None and not isinstance(upcasters, Upcasters):
        msg = f"{owner} needs upcasters=None or an Upcasters, not {type(upcasters).__qualname__}"
        raise ConfigurationError(msg)
    return upcasters


def check_prefix(owner: str, prefix: object) -> str | None:
    """Return `prefix` if it is ``None`` or a non-empty str, else raise."""
    if prefix is not None and (type(prefix) is not str or not prefix):
        msg = f"{owner} needs stream_prefix=None or a non-empty str, not {prefix!r:.80}"
        raise ConfigurationError(msg)
    return prefix


def check_has(owner: str, argument: str, value: object, *methods: str) -> None:
    """Raise unless `value` has every one of `methods` (what the argument must provide)."""
    missing = [name for name in methods if not callable(getattr(value, name, None))]
    if missing:
        msg = (
            f"{owner} needs {argument} with {', '.join(methods)}; "
            f"{type(value).__qualname__} has no {', '.join(missing)}"
        )
        raise ConfigurationError(msg)
