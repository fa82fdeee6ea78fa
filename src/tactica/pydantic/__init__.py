"""Domain building blocks as pydantic v2 models (extra: ``pydantic``).

The same names with the same behaviour as `tactica.dataclasses`: subclass `ValueObject`,
`Entity`, `AggregateRoot` (or `EventSourcedAggregate`) and `DomainEvent` and declare fields
as annotations. On top of that, pydantic validates field types on construction and
serializes with its own encoder.
"""

from tactica._extras import require_extra as _require_extra

_require_extra("pydantic", feature="tactica.pydantic", extra="pydantic")

from tactica.codec._formats import register_format_hook as _register_format_hook
from tactica.domain.specification import Specification
from tactica.pydantic._codec import pydantic_format as _pydantic_format
from tactica.pydantic._entity import AggregateRoot, Entity
from tactica.pydantic._event import DomainEvent
from tactica.pydantic._eventsourced import EventSourcedAggregate
from tactica.pydantic._messages import Command, Query
from tactica.pydantic._value_object import ValueObject

# Here, not in the codec: the codec sits below the flavours and must not import pydantic.
_register_format_hook(_pydantic_format)

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
