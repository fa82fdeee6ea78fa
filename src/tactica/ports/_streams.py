"""Between domain events and stored ones: PURE stream naming, encoding and decoding."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from typing import Any, cast

from tactica.codec import JsonCodec, TypeRegistry
from tactica.codec._upcasting import Upcasters, decode_stored
from tactica.domain.eventsourced import EVENT_TYPES, event_classes
from tactica.domain.naming import message_name, message_version
from tactica.errors import (
    MessageEncodeError,
    SerializationError,
    UnknownMessageTypeError,
    UnreadableEventError,
)
from tactica.ports._events import NewEvent, RecordedEvent

__all__ = [
    "check_readable",
    "declared_event_types",
    "decode_events",
    "default_codec",
    "readable_new_events",
    "to_new_event",
]

_ENVELOPE = ("event_id", "occurred_at", "correlation_id", "causation_id")


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
    if not all(hasattr(event, name) for name in _ENVELOPE):
        raise MessageEncodeError(
            message_name(cls),
            "it is not a domain event (it has no event_id, occurred_at, correlation_id "
            "and causation_id); derive its class from DomainEvent",
        )
    return NewEvent(
        type_name=message_name(cls),
        payload=codec.encode(event),
        event_id=fields.event_id,
        occurred_at=fields.occurred_at,
        schema_version=message_version(cls),
        correlation_id=fields.correlation_id,
        causation_id=fields.causation_id,
    )


def check_readable(registry: TypeRegistry, event_type: type, owner: str) -> None:
    """Raise `UnreadableEventError` unless `registry` reads `event_type`'s name back as it.

    An event stored under a name the registry does not know, or resolves to another class,
    would make every later load of its stream fail; `owner` names who produced it.
    """
    name = message_name(event_type)
    try:
        found: type | None = registry.resolve(name)
    except UnknownMessageTypeError:
        found = None
    if found is event_type:
        return
    if found is None:
        problem = f"its registry ({len(registry)} types) does not know the name {name!r}"
    else:
        problem = (
            f"its registry resolves {name!r} to another class, "
            f"{found.__module__}.{found.__qualname__}"
        )
    raise UnreadableEventError(event_type, name, owner, problem)


def readable_new_events(codec: JsonCodec, events: Iterable[object], owner: str) -> list[NewEvent]:
    """Return the stored forms of `events`, refusing first any that `codec` cannot read back.

    What every event-sourced write path calls before it writes: `check_readable` for each
    event class (once per class), then `to_new_event`.
    """
    registry = codec.registry
    checked: set[type] = set()
    stored: list[NewEvent] = []
    for event in events:
        event_type = type(event)
        if event_type not in checked:
            check_readable(registry, event_type, owner)
            checked.add(event_type)
        stored.append(to_new_event(codec, event))
    return stored


def decode_events(
    codec: JsonCodec, upcasters: Upcasters | None, events: Sequence[RecordedEvent]
) -> list[Any]:
    """Return the domain events of stored ones, upcast to their classes' current versions.

    What repositories do with a stream they read; use it on `read` or `read_all` results
    yourself. Events already at their class's current version, the usual case, are decoded
    as one batch; any other goes through `decode_stored` and `upcasters` (validated
    against ``codec.registry``; ``None`` for none). Type names are looked up in the
    registry only: nothing named by stored data is imported.

    An event that cannot be read raises the `SerializationError` `decode_stored` raises
    (`UnknownMessageTypeError`, `MessageDecodeError`, `UpcastError`), naming the event
    and where it is stored: its ``event_id``, ``stream_id``, ``stream_version`` and
    ``position`` are set on the error and quoted in its message.
    """
    current: dict[tuple[str, int], type | None] = {}
    batch: list[tuple[bytes, type]] = []
    registry = codec.registry
    try:
        for event in events:
            key = (event.type_name, event.schema_version)
            if key not in current:
                cls: type = registry.resolve(event.type_name)
                current[key] = cls if message_version(cls) == event.schema_version else None
            cls_now = current[key]
            if cls_now is None:
                break  # an older version: every event goes through decode_stored
            batch.append((event.payload, cls_now))
        else:
            return codec.decode_many(batch)
    except (SerializationError, TypeError):
        # Decoded one by one below, for the error that names the event and its stream (a
        # TypeError: a hand-made RecordedEvent whose type name or version is no key).
        pass
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
        stream_version=event.stream_version,
        position=event.position,
    )


def declared_event_types(aggregate_type: type) -> tuple[type, ...]:
    """Return the event classes an aggregate names as its second type argument, if any.

    ``class Account(EventSourcedAggregate[AccountId, Opened | Deposited])`` declares two.
    Both flavours record them when the class is made (pydantic keeps generic arguments
    where the standard library does not look); other classes are read from their
    standard-library generic bases.
    """
    recorded = getattr(aggregate_type, EVENT_TYPES, None)
    if isinstance(recorded, tuple):
        return cast("tuple[type, ...]", recorded)
    for klass in aggregate_type.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            arguments = typing.get_args(base)
            if typing.get_origin(base) is None or len(arguments) != 2:  # noqa: PLR2004
                continue
            found = event_classes(arguments[1])
            if found:
                return found
    return ()


def default_codec(aggregate_type: type) -> JsonCodec:
    """Return a codec whose registry holds the aggregate's declared event types."""
    return JsonCodec(TypeRegistry(declared_event_types(aggregate_type)))
