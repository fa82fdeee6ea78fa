"""Message types and their serialized form: the type registry and the JSON codec."""

from tactica.codec._formats import JsonFormat
from tactica.codec._json import JsonCodec
from tactica.codec._registry import TypeRegistry

__all__ = ["JsonCodec", "JsonFormat", "TypeRegistry"]
