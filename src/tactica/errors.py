"""The exception hierarchy. Every error tactica raises derives from `TacticaError`.

Catch `TacticaError` to handle anything the library reports; catch a subclass to react to
one situation (for example retry on `ConcurrencyError`). Messages say what was wrong and
how to fix it. Driver and serializer exceptions are translated at the edge, so callers
never need to import a third-party exception type.
"""

from __future__ import annotations

__all__ = [
    "AggregateAlreadyExistsError",
    "AggregateNotFoundError",
    "ConcurrencyError",
    "ConfigurationError",
    "DuplicateHandlerError",
    "DuplicateMessageTypeError",
    "EventHandlerError",
    "HandlerNotFoundError",
    "ImmutableObjectError",
    "InvalidMessageError",
    "MessageDecodeError",
    "MessageEncodeError",
    "MissingExtraError",
    "MissingIdentityError",
    "SerializationError",
    "TacticaError",
    "UnitOfWorkError",
    "UnknownMessageTypeError",
]


_SHOWN = 200  # characters of an unknown type name quoted back; stored data may be hostile


class TacticaError(Exception):
    """Base class of every exception raised by tactica."""


class ConfigurationError(TacticaError):
    """The library was wired or configured in a way that cannot work.

    Raised at start-up (class creation, registry building, composition root), before any
    data is read or written.
    """


class MissingExtraError(TacticaError, ImportError):
    """An optional feature was used without its extra installed.

    The message carries the exact ``pip install 'tactica[extra]'`` command.
    """

    def __init__(self, feature: str, extra: str) -> None:
        """Describe which `feature` needs which `extra`."""
        super().__init__(
            f"{feature} needs the optional dependencies of the {extra!r} extra; "
            f"install them with: pip install 'tactica[{extra}]'"
        )
        self.feature = feature
        self.extra = extra


class ImmutableObjectError(TacticaError, AttributeError):
    """An attempt to change an immutable value (a value object, an event, an entity's id).

    Value objects and events are replaced, never modified: build a new instance
    (``dataclasses.replace`` or ``model_copy(update=...)``) or return one from a method.
    """


class InvalidMessageError(TacticaError, ValueError):
    """A message or event was built with a value it cannot carry (e.g. a naive timestamp)."""


class MissingIdentityError(TacticaError, TypeError):
    """An entity was created without an id, and its id type cannot be generated.

    Only UUID ids (including ``NewType`` aliases of ``UUID``) are generated; pass ``id=...``
    for int, str or other identity types. A `TypeError`, like Python's own error for a
    missing argument (and so it reaches the caller unchanged from pydantic models too).
    """


class AggregateNotFoundError(TacticaError, LookupError):
    """`Repository.get` found no aggregate with the requested id.

    Use `Repository.find` when absence is an expected outcome.
    """

    def __init__(self, aggregate_type: str, aggregate_id: object) -> None:
        """Name the aggregate type and the id that was not found."""
        super().__init__(f"no {aggregate_type} with id {aggregate_id!r} was found")
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id


class ConcurrencyError(TacticaError):
    """A write lost an optimistic-concurrency race: the stored version moved on.

    Nothing of the failed write was stored. Reload the aggregate and run the command
    again (the bus's retry middleware does this for commands that opt in).
    """


class AggregateAlreadyExistsError(ConcurrencyError):
    """An aggregate was added with an id that is already stored."""

    def __init__(self, aggregate_type: str, aggregate_id: object) -> None:
        """Name the aggregate type and the id that already exists."""
        super().__init__(
            f"a {aggregate_type} with id {aggregate_id!r} already exists; "
            "load it with get() to change it, or add it under a new id"
        )
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id


class SerializationError(TacticaError):
    """Base class for encoding and decoding failures of messages and their payloads."""


class UnknownMessageTypeError(SerializationError, LookupError):
    """A type name read from stored data or a broker is not in the registry.

    Names are only ever looked up in a `TypeRegistry`; nothing named by stored data is
    imported. Register the class (or an alias for its old name) to read such data.
    """

    def __init__(self, type_name: str, known: int) -> None:
        """Name the unknown type and how many names the registry knows."""
        shown = type_name if len(type_name) <= _SHOWN else type_name[:_SHOWN] + "..."
        super().__init__(
            f"unknown message type {shown!r} (the registry knows {known} names); "
            "register the class, or add the old name to its aliases if it was renamed"
        )
        self.type_name = type_name


class DuplicateMessageTypeError(ConfigurationError):
    """Two different classes claim the same registered name (or alias)."""


class MessageDecodeError(SerializationError, ValueError):
    """Bytes could not be decoded into the requested message type.

    ``type_name`` names the target type, ``field`` the JSON path of the offending field
    (``None`` when the document as a whole is malformed) and ``reason`` the cause.
    """

    def __init__(self, type_name: str, reason: str, field: str | None = None) -> None:
        """Describe which type, which field and why decoding failed."""
        where = f" at field {field!r}" if field else ""
        super().__init__(f"cannot decode {type_name}{where}: {reason}")
        self.type_name = type_name
        self.field = field
        self.reason = reason


class MessageEncodeError(SerializationError, ValueError):
    """A message could not be encoded, for example because it holds NaN or infinity."""

    def __init__(self, type_name: str, reason: str, field: str | None = None) -> None:
        """Describe which type, which field and why encoding failed."""
        where = f" at field {field!r}" if field else ""
        super().__init__(f"cannot encode {type_name}{where}: {reason}")
        self.type_name = type_name
        self.field = field
        self.reason = reason


class DuplicateHandlerError(ConfigurationError):
    """A second handler was registered for a command or query type, which takes exactly one."""


class HandlerNotFoundError(TacticaError, LookupError):
    """No handler is registered for a dispatched command or query type."""


class UnitOfWorkError(TacticaError):
    """A unit of work was used out of order: opened twice, committed twice, or never opened."""


class EventHandlerError(TacticaError):
    """An event handler failed after the command that raised the event had committed.

    The message says so: the command's changes stay stored; only the follow-up failed.
    """
