"""What a repository session tracks, whatever it stores to: PURE, shared by every backend.

A session hands out aggregates and remembers, per id, the stored version it read (the
expected version of its next write, never the aggregate's own writable `version`), a
snapshot of how it looked, and which events it had pending. From that it says which
writes a commit must make, and takes note when they were made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar, cast

from tactica.domain.naming import storage_aliases, storage_name
from tactica.errors import ConcurrencyError, InvalidArgumentError
from tactica.ports._checks import name_problem, shown

__all__ = [
    "PendingWrite",
    "SessionTracker",
    "StorageNames",
    "WriteKind",
    "checked_id",
    "conflict",
    "id_of",
    "version_of",
]

A = TypeVar("A")


class WriteKind(Enum):
    """What a commit does to one stored aggregate."""

    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class PendingWrite(Generic[A]):
    """One write a commit must make, checked against `expected_version`."""

    kind: WriteKind
    aggregate_id: Any
    expected_version: int
    aggregate: A


@dataclass(frozen=True, slots=True)
class StorageNames:
    """The type names a state repository writes, reads and recognises as orphaned rows.

    `name` keys every row written; `aliases` are read too (a row found under one moves to
    `name` on its next write); `former` are names the class had by default before (the
    qualified name before ``name=`` was declared, tactica 0.1.0.dev0's ``"module:QualName"``):
    a row under one of them is reported, not silently missed, since nothing reads it.
    """

    name: str
    aliases: tuple[str, ...]
    former: tuple[str, ...]

    @classmethod
    def of(cls, aggregate_type: type, type_name: str | None = None) -> StorageNames:
        """Return the names of `aggregate_type`; an explicit `type_name` replaces its own."""
        name = type_name or storage_name(aggregate_type)
        aliases = tuple(alias for alias in storage_aliases(aggregate_type) if alias != name)
        if type_name is not None:
            # An explicit key is deliberate (one type may be stored under several, by
            # tenant): rows under the class's other names are not this repository's.
            return cls(name, aliases, ())
        known = {name, *aliases}
        candidates = (
            aggregate_type.__qualname__.replace(".<locals>", ""),
            f"{aggregate_type.__module__}:{aggregate_type.__qualname__}",
        )
        former = tuple(n for n in dict.fromkeys(candidates) if n not in known)
        return cls(name, aliases, former)

    @property
    def read(self) -> tuple[str, ...]:
        """Every name a load looks under, the written one first."""
        return (self.name, *self.aliases, *self.former)


class _Versioned(Protocol):
    id: Any
    version: int


def _versioned(aggregate: object) -> _Versioned:
    return cast("_Versioned", aggregate)


def id_of(aggregate: object) -> Any:
    """Return an aggregate's id."""
    return _versioned(aggregate).id


def checked_id(aggregate_type: type, aggregate_id: object) -> Any:
    """Return `aggregate_id` if every backend can key a row by it; raise otherwise.

    SQL backends key rows by the id as text, so the same rule as for stream ids applies
    to that text, on every backend alike; the id must also be hashable.
    """
    name = aggregate_type.__qualname__
    try:
        hash(aggregate_id)
    except TypeError:
        msg = f"a {name} id must be hashable, not {type(aggregate_id).__name__}"
        raise InvalidArgumentError(msg) from None
    problem = name_problem(str(aggregate_id))
    if problem is not None:
        msg = f"{name} id {shown(aggregate_id)} cannot be stored: as text it {problem}"
        raise InvalidArgumentError(msg)
    return aggregate_id


def version_of(aggregate: object) -> int:
    """Return an aggregate's own `version` attribute."""
    return _versioned(aggregate).version


def _pending(aggregate: object) -> tuple[object, ...]:
    pending: tuple[object, ...] = getattr(aggregate, "pending_events", ())
    return pending


class SessionTracker(Generic[A]):
    """The identity map and change tracking of one repository session."""

    __slots__ = (
        "_added",
        "_deleted",
        "_dropped",
        "_pending_seen",
        "_snapshot",
        "_snapshots",
        "identity_map",
        "versions",
    )

    def __init__(self, snapshot: Callable[[A], object]) -> None:
        """Compare aggregates by `snapshot(aggregate)` to tell whether they changed."""
        self._snapshot = snapshot
        self.identity_map: dict[Any, A] = {}
        self.versions: dict[Any, int] = {}
        self._snapshots: dict[Any, object] = {}
        self._pending_seen: dict[Any, frozenset[int]] = {}
        self._added: set[Any] = set()
        self._deleted: dict[Any, A] = {}
        # Added and deleted before any commit: nothing to write, but still seen, so that
        # events it recorded are not lost to whoever collects them.
        self._dropped: list[A] = []

    @property
    def seen(self) -> tuple[A, ...]:
        """Every tracked aggregate: handed out, added, or deleted and not yet committed."""
        return (*self.identity_map.values(), *self._deleted.values(), *self._dropped)

    def is_deleted(self, aggregate_id: Any) -> bool:
        """Return whether the session deleted this id (it then reads as absent)."""
        return aggregate_id in self._deleted

    def loaded(self, aggregate_id: Any, aggregate: A, version: int) -> None:
        """Track an aggregate just read at the stored `version`."""
        _versioned(aggregate).version = version
        self.identity_map[aggregate_id] = aggregate
        self._synced(aggregate_id, aggregate, version)

    def add(self, aggregate: A) -> None:
        """Track a new aggregate, to be inserted."""
        aggregate_id = id_of(aggregate)
        self.identity_map[aggregate_id] = aggregate
        self.versions[aggregate_id] = version_of(aggregate)
        self._added.add(aggregate_id)
        self._deleted.pop(aggregate_id, None)

    def delete(self, aggregate: A) -> None:
        """Mark an aggregate for deletion (version-checked like an update)."""
        aggregate_id = id_of(aggregate)
        self.identity_map.pop(aggregate_id, None)
        if aggregate_id in self._added:
            self._added.discard(aggregate_id)
            self._dropped.append(aggregate)
            return
        self._deleted[aggregate_id] = aggregate

    def changed(self, aggregate_id: Any, aggregate: A) -> bool:
        """Return whether a tracked aggregate differs from when it was read or committed."""
        known = self._pending_seen.get(aggregate_id, frozenset())
        # Recording an event is a change even when no field moved; pulling events is not one.
        if any(id(event) not in known for event in _pending(aggregate)):
            return True
        return bool(self._snapshot(aggregate) != self._snapshots.get(aggregate_id))

    def pending_writes(self) -> list[PendingWrite[A]]:
        """Return the writes a commit must make, without making them."""
        writes: list[PendingWrite[A]] = []
        for aggregate_id, aggregate in self.identity_map.items():
            if aggregate_id in self._added:
                kind = WriteKind.INSERT
            elif self.changed(aggregate_id, aggregate):
                kind = WriteKind.UPDATE
            else:
                continue
            writes.append(PendingWrite(kind, aggregate_id, self.versions[aggregate_id], aggregate))
        writes.extend(
            PendingWrite(
                WriteKind.DELETE,
                aggregate_id,
                self.versions.get(aggregate_id, version_of(aggregate)),
                aggregate,
            )
            for aggregate_id, aggregate in self._deleted.items()
        )
        return writes

    def acknowledge(self, written: Iterable[tuple[Any, int]]) -> None:
        """Take note that the writes were stored: `written` gives each id's expected version.

        Written aggregates get the new stored version; every tracked one is snapshotted
        again, so later changes are measured from here.
        """
        new_versions = {aggregate_id: expected + 1 for aggregate_id, expected in written}
        for aggregate_id, aggregate in self.identity_map.items():
            version = new_versions.get(aggregate_id, self.versions[aggregate_id])
            _versioned(aggregate).version = version
            self._synced(aggregate_id, aggregate, version)
        for aggregate_id in self._deleted:
            self.versions.pop(aggregate_id, None)
            self._snapshots.pop(aggregate_id, None)
            self._pending_seen.pop(aggregate_id, None)
        self._added.clear()
        self._deleted.clear()
        self._dropped.clear()

    def clear(self) -> None:
        """Forget everything: the session starts over."""
        self.identity_map.clear()
        self.versions.clear()
        self._snapshots.clear()
        self._pending_seen.clear()
        self._added.clear()
        self._deleted.clear()
        self._dropped.clear()

    def _synced(self, aggregate_id: Any, aggregate: A, version: int) -> None:
        self.versions[aggregate_id] = version
        self._snapshots[aggregate_id] = self._snapshot(aggregate)
        self._pending_seen[aggregate_id] = frozenset(map(id, _pending(aggregate)))


def conflict(
    type_name: str, aggregate_id: object, expected_version: int, stored_version: int | None
) -> ConcurrencyError:
    """Return the error for a write whose expected version is no longer the stored one."""
    found = "was deleted" if stored_version is None else f"is at version {stored_version}"
    return ConcurrencyError(
        f"{type_name} {aggregate_id!r} was changed concurrently: this copy is at version "
        f"{expected_version} but the stored one {found}; reload and retry"
    )
