"""The JSON codec: messages and domain objects to bytes and back."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any, TypeVar

from tactica.codec._formats import Buffer, JsonFormat, format_for, raise_translated
from tactica.codec._registry import TypeRegistry
from tactica.domain.context import DECODING, DECODING_CONTEXT

__all__ = ["JsonCodec"]

T = TypeVar("T")

_shared_formats: weakref.WeakKeyDictionary[type, JsonFormat] = weakref.WeakKeyDictionary()


class JsonCodec:
    """Turns messages (and any dataclass, pydantic model or msgspec struct) into JSON bytes.

    Dataclass-flavour classes go through msgspec, pydantic-flavour classes through
    pydantic's own serializer; UUIDs, aware datetimes, Decimals, enums, nested value objects
    and tuples round-trip exactly. Every failure is a `SerializationError` subclass naming
    the type and the field: `MessageEncodeError` (for example NaN, which JSON cannot hold)
    or `MessageDecodeError` (malformed JSON, wrong shape, missing or mistyped fields, too
    deep nesting), and `UnknownMessageTypeError` from `decode_named`.

    Decoding is strict about types (``"1"`` is not an int, ``true`` is not 1) and ignores
    fields it does not know, so an older reader accepts what a newer writer added.

    Examples:
        >>> from tactica import JsonCodec, TypeRegistry
        >>> from tactica.dataclasses import DomainEvent
        >>> class SeatBooked(DomainEvent, name="seats.booked"):
        ...     seat: str
        >>> codec = JsonCodec(TypeRegistry([SeatBooked]))
        >>> event = SeatBooked(seat="12A")
        >>> codec.decode_named("seats.booked", codec.encode(event)) == event
        True
    """

    __slots__ = ("_formats", "registry")

    def __init__(self, registry: TypeRegistry | None = None) -> None:
        """Create a codec; `registry` resolves the type names given to `decode_named`."""
        self.registry = registry if registry is not None else TypeRegistry()
        self._formats: dict[type, JsonFormat] = {}

    def _format(self, cls: type) -> JsonFormat:
        try:
            return self._formats[cls]
        except KeyError:
            pass
        # Building a format resolves type hints and compiles a decoder: done once per class
        # and shared by every codec, so a codec made per call stays cheap.
        try:
            shared = _shared_formats.get(cls)
        except TypeError:
            # Typing forms such as ``list[Card] | None`` cannot be weakly referenced.
            shared = self._formats[cls] = format_for(cls)
            return shared
        if shared is None:
            shared = _shared_formats[cls] = format_for(cls)
        self._formats[cls] = shared
        return shared

    def encode(self, value: object) -> bytes:
        """Return the JSON document for `value` (its fields; the type name is not included)."""
        json_format = self._formats.get(type(value)) or self._format(type(value))
        try:
            return json_format.fast_encode(value)
        except Exception as error:  # noqa: BLE001 - translated, or re-raised unchanged
            raise_translated(error, json_format.encode_error(error))

    def decode(self, data: Buffer, cls: type[T]) -> T:
        """Return an instance of `cls` read from the JSON document `data`.

        The result carries exactly the stored identity: a missing ``event_id``,
        ``occurred_at`` or entity ``id`` is an error rather than a freshly generated value,
        and a missing correlation or causation id stays ``None`` instead of being taken
        from the message context of the code that happens to be decoding.
        """
        json_format = self._formats.get(cls) or self._format(cls)
        token = DECODING.set(DECODING_CONTEXT)
        try:
            result: T = json_format.fast_decode(data)
        except Exception as error:  # noqa: BLE001 - translated, or re-raised unchanged
            raise_translated(error, json_format.decode_error(error))
        finally:
            DECODING.reset(token)
        return result

    def decode_many(self, documents: Iterable[tuple[Buffer, type[Any]]]) -> list[Any]:
        """Return the instances read from (document, class) pairs, as `decode` would each.

        For long histories: the decoding context is set once for the whole batch.
        """
        token = DECODING.set(DECODING_CONTEXT)
        try:
            return [self._decode_one(data, cls) for data, cls in documents]
        finally:
            DECODING.reset(token)

    def _decode_one(self, data: Buffer, cls: type[Any]) -> Any:
        json_format = self._formats.get(cls) or self._format(cls)
        try:
            return json_format.fast_decode(data)
        except Exception as error:  # noqa: BLE001 - translated, or re-raised unchanged
            raise_translated(error, json_format.decode_error(error))

    def decode_named(self, type_name: str, data: Buffer) -> Any:
        """Return the message whose registered name (or alias) is `type_name`.

        The name is looked up in the registry only; an unregistered name raises
        `UnknownMessageTypeError` and nothing is imported or executed.
        """
        message_type: type[Any] = self.registry.resolve(type_name)
        return self.decode(data, message_type)
