"""Entities and aggregate roots in the pydantic flavour."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, Self, TypeVar, cast

from pydantic import ConfigDict, PrivateAttr

from tactica.domain.identity import AUTO_ID, new_id
from tactica.domain.naming import configure_storage_name
from tactica.errors import ImmutableObjectError
from tactica.pydantic._base import TacticaModel
from tactica.pydantic._event import DomainEvent

__all__ = ["AggregateRoot", "Entity"]

TId = TypeVar("TId")


class Entity(TacticaModel, Generic[TId]):
    """A domain object defined by its identity, not by its attributes.

    Two entities are equal when they are of the same concrete type and have the same
    ``id``; the hash is the id's. The id cannot be reassigned. When omitted it is generated
    as a UUIDv7 if the id type is ``UUID`` (or a ``NewType`` of it); other id types must be
    passed explicitly.

    Examples:
        >>> from typing import NewType
        >>> from uuid import UUID
        >>> from tactica.pydantic import Entity
        >>> CustomerId = NewType("CustomerId", UUID)
        >>> class Customer(Entity[CustomerId]):
        ...     name: str
        >>> ada = Customer(name="Ada")
        >>> ada == Customer(id=ada.id, name="Ada Lovelace")
        True
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: TId = AUTO_ID

    def _complete(self) -> None:
        if self.id is AUTO_ID:
            vars(self)["id"] = new_id(type(self), _declared_id_type)

    def __setattr__(self, name: str, value: object) -> None:
        """Set an attribute, refusing to reassign the identity."""
        if name == "id":
            msg = f"{type(self).__qualname__}.id cannot be reassigned: an entity keeps its identity"
            raise ImmutableObjectError(msg)
        super().__setattr__(name, value)

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
    return cls.model_fields["id"].annotation


class AggregateRoot(Entity[TId]):
    """The entity through which a consistency boundary is changed and loaded.

    ``version`` counts stored changes (0 until first stored) and drives optimistic
    concurrency. Methods record domain events with `record`; the unit of work (or your
    code) takes them with `pull_events` after the change is stored. Pending events are a
    private attribute: they never appear in ``repr``, comparisons or serialized state, and
    a copy gets its own list.

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

    _pending_events: list[DomainEvent] = PrivateAttr(default_factory=list[DomainEvent])

    def record(self, event: DomainEvent) -> None:
        """Append `event` to the pending events."""
        self._pending_events.append(event)

    def pull_events(self) -> list[DomainEvent]:
        """Return the pending events in recording order and clear them, in one step."""
        private = self.__pydantic_private__
        assert private is not None  # always set: the model declares a private attribute
        pending: list[DomainEvent] = private["_pending_events"]
        private["_pending_events"] = []
        return pending

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The recorded events not yet pulled, oldest first (a read-only snapshot)."""
        return tuple(self._pending_events)

    def __copy__(self) -> Self:
        """Copy the state; the copy gets its own list of pending events."""
        clone = super().__copy__()
        private = clone.__pydantic_private__
        assert private is not None  # always set: the model declares a private attribute
        private["_pending_events"] = list(private["_pending_events"])
        return clone

    def __getstate__(self) -> dict[Any, Any]:
        """Pickle the state only: pending events belong to the live object, never to storage."""
        state = super().__getstate__()
        state["__pydantic_private__"] = {
            **(state.get("__pydantic_private__") or {}),
            "_pending_events": [],
        }
        return state
