"""The JSON format for pydantic models, on pydantic-core's own serializer and validator.

`tactica.pydantic` registers `pydantic_format` with the codec when it is imported: the codec
sits below the flavours and cannot import this module itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, cast

import pydantic
from pydantic_core import ValidationError

from tactica.codec._finite import first_non_finite, float_fields
from tactica.codec._formats import Buffer, JsonFormat, encode_error_for, finite_encoder
from tactica.codec._native import class_checkers
from tactica.domain.envelope import MissingOnDecodeError
from tactica.domain.naming import message_name
from tactica.errors import MessageDecodeError
from tactica.pydantic._base import raw_validator

__all__ = ["PydanticFormat", "pydantic_format"]

# pydantic's constrained date and time types are marker classes at runtime, not datetimes.
_PYDANTIC_FLOAT_FREE = cast(
    "tuple[type, ...]",
    (
        pydantic.AwareDatetime,
        pydantic.NaiveDatetime,
        pydantic.PastDate,
        pydantic.FutureDate,
        pydantic.PastDatetime,
        pydantic.FutureDatetime,
    ),
)


class PydanticFormat:
    """Encodes with ``__pydantic_serializer__`` and decodes strictly, ignoring unknown fields.

    Strict: ``"1"`` is not an int, as in the msgspec format. Unknown fields are ignored on
    decode (a newer writer may have added one), while construction still rejects them.
    """

    def __init__(self, cls: Any) -> None:
        """Bind the model's serializer and validator."""
        self.name = message_name(cls)
        annotations = {
            name: Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
            for name, info in cls.model_fields.items()
        }
        fields = float_fields(
            annotations,
            float_free=_PYDANTIC_FLOAT_FREE,
            validated=cls.model_config.get("allow_inf_nan") is False,
        )
        self.fast_encode: Callable[[Any], bytes] = finite_encoder(
            cls, fields, cls.__pydantic_serializer__.to_json, class_checkers(cls)
        )
        validate = partial(raw_validator(cls).validate_json, strict=True, extra="ignore")
        self.fast_decode: Callable[[Buffer], Any] = _finite_decoder(self.name, fields, validate)

    def encode_error(self, error: Exception) -> Exception:
        """Translate pydantic's serialization errors."""
        return encode_error_for(self.name, error)

    def decode_error(self, error: Exception) -> Exception:
        """Translate pydantic's validation errors and those raised by the class."""
        if isinstance(error, MissingOnDecodeError):
            return error.to_decode_error(self.name)
        if isinstance(error, ValidationError):
            first = error.errors(include_url=False)[0]
            location = ".".join(str(part) for part in first["loc"])
            return MessageDecodeError(
                self.name, first["msg"], f"$.{location}" if location else None
            )
        return error


def _finite_decoder(
    name: str, fields: tuple[str, ...], validate: Callable[[Buffer], Any]
) -> Callable[[Buffer], Any]:
    # pydantic's parser reads NaN, Infinity and 1e999 into fields it does not type-check
    # (Any); the dataclass flavour refuses them, and so must this one.
    if not fields:
        return validate

    def checked(data: Buffer) -> Any:
        decoded = validate(data)
        where = first_non_finite(decoded, fields)
        if where is not None:
            raise MessageDecodeError(name, "NaN and infinity are not valid JSON numbers", where)
        return decoded

    return checked


def pydantic_format(cls: type) -> JsonFormat | None:
    """Return the format of `cls` if it is a pydantic model (flavour or plain), else None."""
    if hasattr(cls, "__pydantic_validator__") and hasattr(cls, "__pydantic_serializer__"):
        return PydanticFormat(cls)
    return None
