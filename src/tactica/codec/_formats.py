"""Per-class JSON formats: msgspec for plain and dataclass types, pydantic for its models."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Protocol, TypeVar

import msgspec

from tactica.codec._finite import first_non_finite, float_fields
from tactica.domain.context import DECODING, DECODING_CONTEXT, MissingOnDecodeError
from tactica.domain.naming import message_name
from tactica.errors import MessageDecodeError, MessageEncodeError, SerializationError

__all__ = ["JsonFormat", "MsgspecFormat", "format_for"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Buffer = bytes | bytearray | memoryview | str


class JsonFormat(Protocol[T_co]):
    """How one class is turned into JSON bytes and back."""

    def encode(self, value: Any) -> bytes:
        """Return the JSON document for `value`."""
        ...

    def decode(self, data: Buffer) -> T_co:
        """Return the instance described by `data`, or raise `MessageDecodeError`."""
        ...


def check_finite(cls: type, value: object, fields: tuple[str, ...]) -> None:
    """Raise `MessageEncodeError` if a float field of `value` holds NaN or infinity."""
    where = first_non_finite(value, fields)
    if where is not None:
        raise MessageEncodeError(
            message_name(cls),
            "NaN and infinity have no JSON form; store a finite number or None",
            where,
        )


def _split_msgspec_error(error: Exception) -> tuple[str, str | None]:
    text = str(error)
    reason, sep, where = text.rpartition(" - at `")
    if sep:
        return reason, where.rstrip("`")
    return text, None


class MsgspecFormat:
    """msgspec-backed format for dataclasses (including the dataclass flavour) and structs."""

    __slots__ = ("_cls", "_decoder", "_encode", "_float_fields", "_name")

    def __init__(self, cls: type) -> None:
        """Prepare an encoder and a typed decoder for `cls`."""
        self._cls = cls
        self._name = message_name(cls)
        self._encode = msgspec.json.Encoder().encode
        self._decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(cls)
        annotations: dict[str, object] = {}
        if dataclasses.is_dataclass(cls):
            hints = typing.get_type_hints(cls)
            annotations = {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls)}
        self._float_fields = float_fields(annotations)

    def encode(self, value: Any) -> bytes:
        """Return the JSON document for `value`, refusing NaN and infinity."""
        if self._float_fields:
            check_finite(self._cls, value, self._float_fields)
        try:
            return self._encode(value)
        except (TypeError, ValueError, OverflowError) as error:
            raise MessageEncodeError(self._name, str(error)) from error
        except RecursionError:
            raise MessageEncodeError(
                self._name, "the value is nested too deeply or contains a cycle"
            ) from None

    def decode(self, data: Buffer) -> Any:
        """Return an instance of the class, translating every failure to a typed error."""
        token = DECODING.set(DECODING_CONTEXT)
        try:
            return self._decoder.decode(data)
        except MissingOnDecodeError as missing:
            raise missing.to_decode_error(self._name) from None
        except msgspec.ValidationError as error:
            reason, where = _split_msgspec_error(error)
            raise MessageDecodeError(self._name, reason, where) from error
        except (msgspec.DecodeError, UnicodeDecodeError) as error:
            raise MessageDecodeError(self._name, str(error)) from error
        except AssertionError as error:  # from check_invariants; msgspec converts only ValueError
            raise MessageDecodeError(self._name, str(error)) from error
        except RecursionError:
            raise MessageDecodeError(self._name, "the document is nested too deeply") from None
        finally:
            DECODING.reset(token)


def format_for(cls: type) -> JsonFormat[Any]:
    """Choose and build the JSON format for `cls`: pydantic's for pydantic models."""
    if hasattr(cls, "__pydantic_validator__") and hasattr(cls, "__pydantic_serializer__"):
        # Imported here so that `import tactica` never loads pydantic.
        from tactica.codec._pydantic import PydanticFormat  # noqa: PLC0415

        return PydanticFormat(cls)
    try:
        return MsgspecFormat(cls)
    except TypeError as error:
        msg = f"{message_name(cls)} cannot be serialized to JSON: {error}"
        raise SerializationError(msg) from error
