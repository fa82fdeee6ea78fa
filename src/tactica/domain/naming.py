"""Stable names and schema versions of message classes, and storage names of aggregates.

A message class is stored and routed by its registered name, never by its import path, so
that moving or renaming a class never orphans stored data. The name defaults to the class's
qualified name and is set explicitly with a class keyword::

    class OrderPlaced(DomainEvent, name="orders.placed", aliases=("OrderCreated",), version=2): ...

Aggregate classes are named the same way for storage (state rows, event streams, snapshots)::

    class Account(AggregateRoot[str], name="bank.account", aliases=("Konto",)): ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tactica.errors import ConfigurationError

__all__ = [
    "configure_message_class",
    "configure_storage_name",
    "is_integration",
    "mark_integration",
    "message_aliases",
    "message_name",
    "message_version",
    "storage_aliases",
    "storage_name",
]

# Brackets, commas and spaces admit the names pydantic gives parametrised generic models.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:/\-\[\], ]{0,199}$")


# Stores keep schema versions in a 32-bit column: a larger one could never be appended.
_MAX_VERSION = 2**31 - 1


def _default_name(cls: type) -> str:
    return cls.__qualname__.replace(".<locals>", "")


def _check_name(cls: type, name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        msg = (
            f"{cls.__qualname__}: the message {what} {name!r} is not valid; use 1-200 "
            "characters from letters, digits and _ . : / - [ ] , starting with a letter or _"
        )
        raise ConfigurationError(msg)
    return name


def configure_message_class(
    cls: type, *, name: str | None, aliases: Iterable[str], version: int
) -> None:
    """Record a message class's registered name, old names and schema version.

    Called from the flavour bases' ``__init_subclass__``; validates eagerly so a bad name is
    reported when the class is defined, not when the first message is stored.
    """
    if isinstance(aliases, str):
        msg = f"{cls.__qualname__}: aliases must be a tuple of names, not the string {aliases!r}"
        raise ConfigurationError(msg)
    if type(version) is not int or not 1 <= version <= _MAX_VERSION:
        msg = (
            f"{cls.__qualname__}: version must be an int from 1 to {_MAX_VERSION}, not {version!r}"
        )
        raise ConfigurationError(msg)
    registered = _check_name(cls, _default_name(cls) if name is None else name, "name")
    old_names = tuple(_check_name(cls, alias, "alias") for alias in aliases)
    cls.__message_name__ = registered  # type: ignore[attr-defined]  # set on the class itself
    cls.__message_aliases__ = old_names  # type: ignore[attr-defined]
    cls.__message_version__ = version  # type: ignore[attr-defined]


def message_name(cls: type) -> str:
    """Return the registered name of a message class (its qualified name if unconfigured)."""
    name: Any = cls.__dict__.get("__message_name__")
    return name if isinstance(name, str) else _default_name(cls)


def message_aliases(cls: type) -> tuple[str, ...]:
    """Return the former names a message class still answers to."""
    aliases: Any = cls.__dict__.get("__message_aliases__", ())
    return tuple(aliases)


def message_version(cls: type) -> int:
    """Return the schema version of a message class (1 unless declared)."""
    version: Any = cls.__dict__.get("__message_version__", 1)
    return int(version)


def mark_integration(cls: type, integration: object) -> None:
    """Record whether events of `cls` leave the service through the outbox (None: inherit)."""
    if integration is None:
        return
    if type(integration) is not bool:
        msg = f"{cls.__qualname__}: integration must be True or False, not {integration!r}"
        raise ConfigurationError(msg)
    cls.__message_integration__ = integration  # type: ignore[attr-defined]


def is_integration(cls: type) -> bool:
    """Return whether events of `cls` are written to the outbox when their change commits."""
    return bool(getattr(cls, "__message_integration__", False))


def configure_storage_name(cls: type, *, name: str | None, aliases: Iterable[str]) -> None:
    """Record the name an aggregate class is stored under, and the names it was stored under.

    Called from the aggregate bases' ``__init_subclass__``. State rows, event streams and
    snapshots are keyed by this name, so that moving or renaming the class keeps its data;
    `aliases` are older names whose rows the class still reads (and moves to `name` on their
    next write).
    """
    if isinstance(aliases, str):
        msg = f"{cls.__qualname__}: aliases must be a tuple of names, not the string {aliases!r}"
        raise ConfigurationError(msg)
    old_names = tuple(_storage_check(cls, alias, "alias") for alias in aliases)
    if name is not None:
        # Only a declared name is kept: the default is worked out when asked for, so that
        # generic parametrisations (``AggregateRoot[~TId]``) are never validated as names.
        cls.__storage_name__ = _storage_check(cls, name, "name")  # type: ignore[attr-defined]
    current = storage_name(cls)
    cls.__storage_aliases__ = tuple(a for a in dict.fromkeys(old_names) if a != current)  # type: ignore[attr-defined]


def _storage_check(cls: type, name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        msg = (
            f"{cls.__qualname__}: the storage {what} {name!r} is not valid; use 1-200 "
            "characters from letters, digits and _ . : / - [ ] , starting with a letter or _"
        )
        raise ConfigurationError(msg)
    return name


def storage_name(cls: type) -> str:
    """Return the name an aggregate class is stored under.

    It is the ``name=`` given in the class statement, else the class's qualified name
    without ``<locals>`` (as for messages): it survives moving the class to another module,
    not renaming it; declare ``name=`` to keep a name that survives both.
    """
    name: Any = cls.__dict__.get("__storage_name__")
    return name if isinstance(name, str) else _default_name(cls)


def storage_aliases(cls: type) -> tuple[str, ...]:
    """Return the former storage names whose rows an aggregate class still reads."""
    aliases: Any = cls.__dict__.get("__storage_aliases__", ())
    return tuple(aliases)
