"""Entities and aggregate roots in the dataclass flavour."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from typing import Any, Generic, Self, TypeVar, cast

from tactica.dataclasses._event import DomainEvent
from tactica.dataclasses._model import MutableModel
from tactica.domain.identity import AUTO_ID, new_id, resolve_id_type
from tactica.domain.naming import configure_storage_name
from tactica.errors import ImmutableObjectError

__all__ = ["AggregateRoot", "Entity"]

TId = TypeVar("TId")
TEvent = TypeVar("TEvent")

_PENDING = "_tactica_pending_events"


class Entity(MutableModel, Generic[TId]):
    """A domain object defined by its identity, not by its attributes.

    Two entities are equal when they are of the same concrete type and have the same
    ``id``; the hash is the id's. The id cannot be reassigned. When omitted it is generated
    as a UUIDv7 if the id type is ``UUID`` (or a ``NewType`` of it); other id types must be
    passed explicitly.

    Examples:
        >>> from typing import NewType
        >>> from uuid import UUID
        >>> from tactica.dataclasses import Entity
        >>> CustomerId = NewType("CustomerId", UUID)
        >>> class Customer(Entity[CustomerId]):
        ...     name: str
        >>> ada = Customer(name="Ada")
        >>> ada == Customer(id=ada.id, name="Ada Lovelace")
        True
    """

    id: TId = dataclasses.field(default=AUTO_ID)

    def __post_init__(self) -> None:
        """Generate the id if it was omitted, then check invariants."""
        if self.id is AUTO_ID:
            self.__dict__["id"] = new_id(type(self), _declared_id_type)
        self.check_invariants()

    def __setattr__(self, name: str, value: object) -> None:
        """Set an attribute, refusing to reassign the identity."""
        if name == "id" and "id" in self.__dict__:
            msg = f"{type(self).__qualname__}.id cannot be reassigned: an entity keeps its identity"
            raise ImmutableObjectError(msg)
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        """Return whether `other` is the same entity: same concrete type, same id."""
        if type(other) is type(self):
            return cast("Self", other).id == self.id
        return False if isinstance(other, Entity) else NotImplemented

    def __hash__(self) -> int:
        """Hash by identity."""
        return hash(self.id)

    def check_invariants(self) -> None:
        """Raise if the state breaks a rule; called after construction."""


def _declared_id_type(cls: type[Entity[Any]]) -> object:
    return resolve_id_type(cls, Entity)


class AggregateRoot(Entity[TId]):
    """The entity through which a consistency boundary is changed and loaded.

    ``version`` counts stored changes (0 until first stored) and drives optimistic
    concurrency. Methods record domain events with `record`; the unit of work (or your
    code) takes them with `pull_events` after the change is stored. Pending events are not
    fields: they never appear in ``repr``, comparisons or serialized state, and a copy gets
    its own list.

    Storage (state rows, event streams, snapshots) keys the class by a stable name: declare
    it with ``class Account(AggregateRoot[str], name="bank.account")``; without one it is
    the qualified name without ``<locals>``, which survives a move to another module but
    not a rename. ``aliases=(...)`` names it was stored under before, still read.
    """

    version: int = 0

    def __init_subclass__(
        cls, *, name: str | None = None, aliases: Iterable[str] = (), **kwargs: Any
    ) -> None:
        """Record the name the subclass is stored under and the older names it still reads."""
        super().__init_subclass__(**kwargs)
        configure_storage_name(cls, name=name, aliases=aliases)

    def record(self, event: DomainEvent) -> None:
        """Append `event` to the pending events."""
        pending: list[DomainEvent] | None = self.__dict__.get(_PENDING)
        if pending is None:
            self.__dict__[_PENDING] = [event]
        else:
            pending.append(event)

    def pull_events(self) -> list[DomainEvent]:
        """Return the pending events in recording order and clear them, in one step."""
        pending: list[DomainEvent] = self.__dict__.pop(_PENDING, None) or []
        return pending

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The recorded events not yet pulled, oldest first (a read-only snapshot)."""
        return tuple(self.__dict__.get(_PENDING, ()))

    def __copy__(self) -> Self:
        """Copy the state; the copy gets its own list of pending events."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        if _PENDING in self.__dict__:
            clone.__dict__[_PENDING] = list(self.__dict__[_PENDING])
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """Copy deeply, pending events included (pickling, unlike copying, leaves them out)."""
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return clone

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the state only: pending events belong to the live object, never to storage."""
        return {key: value for key, value in self.__dict__.items() if key != _PENDING}
