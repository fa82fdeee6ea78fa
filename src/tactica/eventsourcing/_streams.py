"""Between domain events and stored ones: PURE stream naming, encoding and decoding."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any, cast

from tactica.codec import JsonCodec, TypeRegistry
from tactica.codec._upcasting import Upcasters, decode_stored
from tactica.domain.naming import message_name, message_version
from tactica.errors import SerializationError
from tactica.ports._events import NewEvent, RecordedEvent

__all__ = ["declared_event_types", "decode_events", "default_codec", "to_new_event"]


def to_new_event(codec: JsonCodec, event: object) -> NewEvent:
    """Return the stored form of a domain event: its registered name, version and JSON.

    For appending your own events to a store directly; repositories do it for you.

    Examples:
        >>> from tactica import JsonCodec
        >>> from tactica.dataclasses import DomainEvent
        >>> from tactica.eventsourcing import to_new_event
        >>> class Rang(DomainEvent, name="bell.rang", version=2):
        ...     times: int
        >>> stored = to_new_event(JsonCodec(), Rang(times=3))
        >>> stored.type_name, stored.schema_version
        ('bell.rang', 2)
    """
    cls = type(event)
    fields = cast("Any", event)
    return NewEvent(
        type_name=message_name(cls),
        payload=codec.encode(event),
        event_id=fields.event_id,
        occurred_at=fields.occurred_at,
        schema_version=message_version(cls),
        correlation_id=fields.correlation_id,
        causation_id=fields.causation_id,
    )


def decode_events(
    codec: JsonCodec, upcasters: Upcasters | None, events: Sequence[RecordedEvent]
) -> list[Any]:
    """Return the domain events of stored ones, upcast to their classes' current versions.

    What repositories do with a stream they read; use it on `read` or `read_all` results
    yourself. Events already at their class's current version, the usual case, are decoded
    as one batch; any other goes through `decode_stored` and `upcasters` (validated
    against ``codec.registry``; ``None`` for none). Type names are looked up in the
    registry only: nothing named by stored data is imported.
    """
    current: dict[tuple[str, int], type | None] = {}
    batch: list[tuple[bytes, type]] = []
    for event in events:
        key = (event.type_name, event.schema_version)
        if key not in current:
            cls: type = codec.registry.resolve(event.type_name)
            current[key] = cls if message_version(cls) == event.schema_version else None
        cls_now = current[key]
        if cls_now is None:
            return [_decode_one(codec, upcasters, event) for event in events]
        batch.append((event.payload, cls_now))
    try:
        return codec.decode_many(batch)
    except SerializationError:
        # Decode one by one again, for the error that names the event and its stream.
        return [_decode_one(codec, upcasters, event) for event in events]


def _decode_one(codec: JsonCodec, upcasters: Upcasters | None, event: RecordedEvent) -> Any:
    return decode_stored(
        codec,
        upcasters,
        event.type_name,
        event.schema_version,
        event.payload,
        event_id=event.event_id,
        stream_id=event.stream_id,
    )


def declared_event_types(aggregate_type: type) -> tuple[type, ...]:
    """Return the event classes an aggregate names as its second type argument, if any.

    ``class Account(EventSourcedAggregate[AccountId, Opened | Deposited])`` declares two.
    """
    for klass in aggregate_type.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            arguments = typing.get_args(base)
            if typing.get_origin(base) is None or len(arguments) != 2:  # noqa: PLR2004
                continue
            union = typing.get_args(arguments[1]) or (arguments[1],)
            found = tuple(kind for kind in union if isinstance(kind, type))
            if found and found != (object,):
                return found
    return ()


def default_codec(aggregate_type: type) -> JsonCodec:
    """Return a codec whose registry holds the aggregate's declared event types."""
    return JsonCodec(TypeRegistry(declared_event_types(aggregate_type)))
