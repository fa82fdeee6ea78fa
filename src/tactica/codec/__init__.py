"""Message types and their serialized form: the type registry, the JSON codec, upcasters."""

from tactica.codec._formats import JsonFormat
from tactica.codec._json import JsonCodec
from tactica.codec._registry import TypeRegistry
from tactica.codec._upcasting import Upcasters, decode_stored

__all__ = ["JsonCodec", "JsonFormat", "TypeRegistry", "Upcasters", "decode_stored"]
