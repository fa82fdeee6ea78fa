"""Per-class JSON formats: msgspec for plain and dataclass types, hooks for the rest.

The pydantic flavour registers the hook that formats pydantic models, so the codec never
imports it (it sits above the codec) and `import tactica` never loads pydantic.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any, NoReturn, Protocol

import msgspec

from tactica.codec._finite import first_non_finite, float_fields
from tactica.codec._native import Checker, class_checkers, first_not_native
from tactica.domain.envelope import MissingOnDecodeError
from tactica.domain.frozendict import FrozenDict
from tactica.domain.naming import message_name
from tactica.errors import (
    MessageDecodeError,
    MessageEncodeError,
    SerializationError,
    TacticaError,
)

__all__ = [
    "FormatHook",
    "JsonFormat",
    "MsgspecFormat",
    "check_finite",
    "check_native",
    "encode_error_for",
    "finite_encoder",
    "format_for",
    "raise_translated",
    "register_format_hook",
]

Buffer = bytes | bytearray | memoryview | str


class JsonFormat(Protocol):
    """How one class is turned into JSON bytes and back.

    The ``fast_*`` callables do the work with as few Python frames as the checks allow and
    may raise the library's own errors; ``*_error`` translates those into tactica's. The
    codec calls them in that order, so the common case pays for no translation at all.
    """

    fast_encode: Callable[[Any], bytes]
    fast_decode: Callable[[Buffer], Any]

    def encode_error(self, error: Exception) -> Exception:
        """Return the `MessageEncodeError` for `error`, or `error` itself if it is not ours."""
        ...

    def decode_error(self, error: Exception) -> Exception:
        """Return the `MessageDecodeError` for `error`, or `error` itself if it is not ours."""
        ...


# Returns the format for a class it claims, or None to let the next hook (or msgspec) try.
FormatHook = Callable[[type], JsonFormat | None]

_format_hooks: list[FormatHook] = []


def raise_translated(error: Exception, translated: Exception) -> NoReturn:
    """Raise `translated`, chained to `error`, or `error` unchanged when nothing matched."""
    if translated is error:
        raise error
    raise translated from error


def check_finite(cls: type, value: object, fields: tuple[str, ...]) -> None:
    """Raise `MessageEncodeError` if a float field of `value` holds NaN or infinity."""
    where = first_non_finite(value, fields)
    if where is not None:
        raise MessageEncodeError(
            message_name(cls),
            "NaN and infinity have no JSON form; store a finite number or None",
            where,
        )


def finite_encoder(
    cls: type,
    fields: tuple[str, ...],
    encode: Callable[[Any], bytes],
    untyped: tuple[tuple[str, Checker], ...] = (),
) -> Callable[[Any], bytes]:
    """Return `encode`, preceded by the checks that the fields of `cls` need, if any.

    The NaN check walks the fields that can hold a float; the untyped check the fields
    that can hold a value of no declared type (``Any``), which must be JSON's own values
    to read back as themselves. Classes with neither pay for no check at all.
    """
    if not fields and not untyped:
        return encode

    def checked(value: Any) -> bytes:
        if fields:
            check_finite(cls, value, fields)
        if untyped:
            check_native(cls, value, untyped)
        return encode(value)

    return checked


def check_native(cls: type, value: object, untyped: tuple[tuple[str, Checker], ...]) -> None:
    """Raise `MessageEncodeError` if an untyped field of `value` would read back different."""
    problem = first_not_native(value, untyped)
    if problem is not None:
        where, reason = problem
        raise MessageEncodeError(message_name(cls), reason, where)


def encode_error_for(name: str, error: Exception) -> Exception:
    if isinstance(error, TacticaError):
        return error
    if isinstance(error, RecursionError):
        return MessageEncodeError(name, "the value is nested too deeply or contains a cycle")
    if isinstance(error, TypeError | ValueError | OverflowError):
        return MessageEncodeError(name, str(error))
    return error


def _split_msgspec_error(error: Exception) -> tuple[str, str | None]:
    text = str(error)
    reason, sep, where = text.rpartition(" - at `")
    if sep:
        return reason, where.rstrip("`")
    return text, None


def _dataclass_annotations(cls: type) -> dict[str, object]:
    if not dataclasses.is_dataclass(cls):
        return {}
    hints = typing.get_type_hints(cls, include_extras=True)
    return {field.name: hints.get(field.name, Any) for field in dataclasses.fields(cls)}


def _dec_hook(kind: Any, value: Any) -> Any:
    """Build the types msgspec does not know from what it decoded: `FrozenDict` for now.

    A field declared ``object`` takes what JSON holds, as one declared ``Any`` does.
    """
    if kind is object:
        return value
    origin = typing.get_origin(kind) or kind
    if isinstance(origin, type) and issubclass(origin, FrozenDict) and isinstance(value, dict):
        arguments = typing.get_args(kind)
        shape: Any = dict.__class_getitem__(arguments) if len(arguments) == 2 else dict  # noqa: PLR2004
        return FrozenDict(msgspec.convert(value, shape, dec_hook=_dec_hook))
    msg = f"{kind!r} cannot be decoded from JSON"
    raise TypeError(msg)


class MsgspecFormat:
    """msgspec-backed format for dataclasses (including the dataclass flavour) and structs."""

    def __init__(self, cls: Any) -> None:
        """Prepare an encoder and a typed decoder for `cls` (or a form like ``list[X]``)."""
        self.name = message_name(cls) if isinstance(cls, type) else repr(cls)
        annotations = _dataclass_annotations(cls)
        encode: Callable[[Any], bytes] = msgspec.json.Encoder().encode
        untyped = class_checkers(cls) if isinstance(cls, type) else ()
        self.fast_encode: Callable[[Any], bytes] = finite_encoder(
            cls, float_fields(annotations), encode, untyped
        )
        decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(cls, dec_hook=_dec_hook)
        self.fast_decode: Callable[[Buffer], Any] = decoder.decode

    def encode_error(self, error: Exception) -> Exception:
        """Translate msgspec's encoding errors."""
        return encode_error_for(self.name, error)

    def decode_error(self, error: Exception) -> Exception:
        """Translate msgspec's decoding errors and those raised by the class while decoding."""
        if isinstance(error, MissingOnDecodeError):
            return error.to_decode_error(self.name)
        if isinstance(error, msgspec.ValidationError):
            reason, where = _split_msgspec_error(error)
            return MessageDecodeError(self.name, reason, where)
        if isinstance(error, RecursionError):
            return MessageDecodeError(self.name, "the document is nested too deeply")
        # AssertionError comes from check_invariants: msgspec converts only ValueError.
        if isinstance(error, msgspec.DecodeError | UnicodeDecodeError | AssertionError):
            return MessageDecodeError(self.name, str(error))
        if isinstance(error, TypeError):
            # msgspec wraps a TypeError raised while building the value: this one is about
            # the document itself, which is not bytes or str.
            return MessageDecodeError(self.name, f"the document is not JSON text: {error}")
        return error


def register_format_hook(hook: FormatHook) -> None:
    """Let `hook` build the JSON format of the classes it claims, before msgspec is tried.

    Registering the same hook again changes nothing, so a re-imported flavour is harmless.
    """
    if hook not in _format_hooks:
        _format_hooks.append(hook)


def _is_pydantic_model(cls: type) -> bool:
    return hasattr(cls, "__pydantic_validator__") and hasattr(cls, "__pydantic_serializer__")


def format_for(cls: type) -> JsonFormat:
    """Choose and build the JSON format for `cls`: a registered hook's, else msgspec's."""
    for hook in _format_hooks:
        claimed = hook(cls)
        if claimed is not None:
            return claimed
    if _is_pydantic_model(cls):
        # msgspec would encode a pydantic model as an opaque object and fail obscurely; the
        # format that understands it comes with the pydantic flavour, which is not loaded.
        msg = (
            f"{message_name(cls)} is a pydantic model, and pydantic models are serialized by "
            "the pydantic flavour: `import tactica.pydantic` before encoding or decoding it"
        )
        raise SerializationError(msg)
    try:
        return MsgspecFormat(cls)
    except TypeError as error:
        msg = f"{message_name(cls)} cannot be serialized to JSON: {error}"
        raise SerializationError(msg) from error
