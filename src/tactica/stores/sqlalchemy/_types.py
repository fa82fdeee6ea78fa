"""A column type for value objects and nested entities stored as JSON inside a row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, LargeBinary
from sqlalchemy.types import TypeDecorator

from tactica.codec import JsonCodec

__all__ = ["JsonValue"]


class JsonValue(TypeDecorator[Any]):
    """Stores a value of `python_type` (a value object, ``list[Card]``, ...) as JSON bytes.

    The value goes through tactica's codec, so it round-trips exactly as messages do and a
    stored document that breaks the type's invariants is refused when read. Mapped
    aggregates may change such a value in place: their repository writes it anyway.
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, python_type: Any, codec: JsonCodec | None = None) -> None:
        """Store values of `python_type`, encoded by `codec` (a default one if omitted)."""
        super().__init__()
        self.value_type = python_type
        self.codec = codec or JsonCodec()

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:  # noqa: ARG002
        """Encode a value for the database (``None`` stays NULL)."""
        return None if value is None else self.codec.encode(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:  # noqa: ARG002
        """Decode a stored document (NULL reads as ``None``)."""
        return None if value is None else self.codec.decode(value, self.value_type)
