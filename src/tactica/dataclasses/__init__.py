"""Domain building blocks as standard-library dataclasses, with no decorator to write.

Subclass `ValueObject`, `Entity`, `AggregateRoot` (or `EventSourcedAggregate`) and
`DomainEvent` and declare fields as annotations; type checkers understand the constructors
through ``dataclass_transform``.
`tactica.pydantic` exports the same names with the same behaviour on pydantic models.
"""

from tactica.dataclasses._entity import AggregateRoot, Entity
from tactica.dataclasses._event import DomainEvent
from tactica.dataclasses._eventsourced import EventSourcedAggregate
from tactica.dataclasses._messages import Command, Query
from tactica.dataclasses._value_object import ValueObject
from tactica.domain.specification import Specification

__all__ = [
    "AggregateRoot",
    "Command",
    "DomainEvent",
    "Entity",
    "EventSourcedAggregate",
    "Query",
    "Specification",
    "ValueObject",
]
