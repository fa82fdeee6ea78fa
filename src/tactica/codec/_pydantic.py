"""The JSON format for pydantic models, on pydantic-core's own serializer and validator."""

from __future__ import annotations

from typing import Any, cast

import pydantic
from pydantic_core import PydanticSerializationError, ValidationError

from tactica.codec._finite import first_non_finite, float_fields
from tactica.codec._formats import Buffer, check_finite
from tactica.domain.context import DECODING, DECODING_CONTEXT, MissingOnDecodeError
from tactica.domain.naming import message_name
from tactica.errors import MessageDecodeError, MessageEncodeError
from tactica.pydantic._base import raw_validator

__all__ = ["PydanticFormat"]

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

    __slots__ = ("_cls", "_float_fields", "_name", "_serializer", "_validator")

    def __init__(self, cls: Any) -> None:
        """Bind the model's serializer and validator."""
        self._cls = cls
        self._name = message_name(cls)
        self._serializer = cls.__pydantic_serializer__
        self._validator = raw_validator(cls)
        annotations = {name: info.annotation for name, info in cls.model_fields.items()}
        self._float_fields = float_fields(
            annotations,
            float_free=_PYDANTIC_FLOAT_FREE,
            validated=cls.model_config.get("allow_inf_nan") is False,
        )

    def encode(self, value: Any) -> bytes:
        """Return the JSON document for `value`, refusing NaN and infinity."""
        if self._float_fields:
            check_finite(self._cls, value, self._float_fields)
        try:
            data: bytes = self._serializer.to_json(value)
        except (PydanticSerializationError, ValueError) as error:
            raise MessageEncodeError(self._name, str(error)) from error
        except RecursionError:
            raise MessageEncodeError(
                self._name, "the value is nested too deeply or contains a cycle"
            ) from None
        return data

    def decode(self, data: Buffer) -> Any:
        """Return a validated model, translating pydantic's errors to a typed error."""
        token = DECODING.set(DECODING_CONTEXT)
        try:
            decoded = self._validator.validate_json(data, strict=True, extra="ignore")
        except MissingOnDecodeError as missing:
            raise missing.to_decode_error(self._name) from None
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            location = ".".join(str(part) for part in first["loc"])
            where = f"$.{location}" if location else None
            raise MessageDecodeError(self._name, first["msg"], where) from error
        finally:
            DECODING.reset(token)
        # pydantic's parser reads NaN, Infinity and 1e999 into fields it does not type-check
        # (Any, metadata); the dataclass flavour refuses them, and so must this one.
        where = first_non_finite(decoded, self._float_fields) if self._float_fields else None
        if where is not None:
            raise MessageDecodeError(
                self._name, "NaN and infinity are not valid JSON numbers", where
            )
        return decoded
