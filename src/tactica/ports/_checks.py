"""Checks of the values stores take from callers: PURE, shared by every backend.

A value passes only if every backend can store it and read it back equal (GUARANTEES.md
G21): text without NUL or lone surrogates, integers within 64 bits, UTC instants within
the years 1 to 9999, UUIDs, and JSON objects of bounded size and depth. Each check returns
what is wrong as a sentence (or ``None``), so that callers raise their own error with it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import cast
from uuid import UUID

import msgspec

__all__ = [
    "MAX_INT32",
    "MAX_INT64",
    "MAX_JSON_DEPTH",
    "MAX_NAME_LENGTH",
    "int_problem",
    "json_problem",
    "name_problem",
    "nested_deeper_than",
    "shown",
    "utc_instant",
    "uuid_problem",
]

MAX_INT64 = 2**63 - 1
"""The largest version, position or limit: SQLite and PostgreSQL store 64-bit integers."""
MAX_INT32 = 2**31 - 1
"""The largest schema version: the column is a 32-bit integer on PostgreSQL."""
MAX_NAME_LENGTH = 255
"""The most characters of a stream id, checkpoint name or aggregate key."""
MAX_JSON_DEPTH = 128
"""The deepest nesting of objects and arrays a stored document may have."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN = 80
_JSON = msgspec.json.Decoder()
# Strings may hold brackets; the unrolled form matches a JSON string in linear time.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENERS = frozenset(b"[{")


def shown(value: object, limit: int = _SHOWN) -> str:
    """Return `value`'s repr, cut to `limit` characters: it may be long or hostile."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def int_problem(value: object, minimum: int, maximum: int = MAX_INT64) -> str | None:
    """Say why `value` is not an int (``bool`` is not one) from `minimum` to `maximum`."""
    if type(value) is not int:
        return f"must be an int, not {type(value).__name__} {shown(value)}"
    if not minimum <= value <= maximum:
        return f"must be from {minimum} to {maximum}, not {shown(value)}"
    return None


def name_problem(value: object, *, max_length: int = MAX_NAME_LENGTH) -> str | None:
    """Say why `value` cannot be a stored name (stream id, checkpoint, key), or ``None``.

    Names are non-empty ``str`` of at most `max_length` characters, without control
    characters (NUL among them, which PostgreSQL cannot store) and without lone surrogates
    (which no database can store as UTF-8).
    """
    if type(value) is not str:
        return f"is a str, not {type(value).__name__}"
    if not value:
        return "is empty"
    if len(value) > max_length:
        return f"has {len(value)} characters, more than {max_length}"
    if _CONTROL.search(value):
        return "contains a control character (such as NUL or a line break)"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate, which is not text UTF-8 can store"
    return None


def uuid_problem(value: object, *, optional: bool = False, nil: bool = True) -> str | None:
    """Say why `value` is not a UUID (or ``None``, when `optional`), or ``None`` if it is."""
    if value is None and optional:
        return None
    if not isinstance(value, UUID):
        return f"must be a UUID, not {type(value).__name__} {shown(value)}"
    if not nil and value.int == 0:
        return "is the nil UUID, which is never a real id; give it a fresh uuid7()"
    return None


def utc_instant(value: object) -> datetime | str:
    """Return `value` as a plain UTC `datetime`, or say why it cannot be one.

    Every backend stores the instant; normalising first makes them all read back the
    same value, and refuses instants outside the years 1 to 9999 in UTC, which some
    databases would store and then fail to read.
    """
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    if not isinstance(value, datetime):
        return f"must be an aware datetime, not {type(value).__name__}"
    try:
        aware = value.utcoffset() is not None
        utc = value.astimezone(UTC) if aware else None
    except (OverflowError, ValueError):
        return f"{shown(value)} is outside the years 1 to 9999 once converted to UTC"
    except Exception as error:  # noqa: BLE001 - a tzinfo of the caller's may raise anything
        return f"has a time zone that fails to give its offset ({type(error).__name__})"
    if utc is None:
        return "must be an aware datetime (a naive one has no instant); use datetime.now(UTC)"
    return datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, UTC
    )


def nested_deeper_than(document: bytes, limit: int) -> bool:
    """Return whether the JSON text `document` nests arrays and objects over `limit` deep."""
    if document.count(b"[") + document.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", document).translate(None, _NOT_A_BRACKET)
    depth = 0
    for byte in brackets:
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_problem(document: object, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Say why `document` is not the bytes of a JSON object tactica can store, or ``None``.

    The size limit is the caller's (it raises its own error for it); this checks the type,
    UTF-8, the syntax, the nesting depth and that the top level is an object.
    """
    if type(document) is not bytes:
        return f"must be JSON bytes, not {type(document).__name__}"
    too_deep = f"is nested more than {max_depth} levels deep"
    if nested_deeper_than(document, max_depth):
        return too_deep
    problem: str | None
    try:
        parsed = cast("object", _JSON.decode(document))
    except UnicodeDecodeError:
        problem = "is not valid UTF-8 (tactica stores JSON text only)"
    except msgspec.DecodeError as error:
        problem = f"is not a JSON document (tactica stores JSON only): {error}"
    except RecursionError:
        problem = too_deep
    else:
        problem = None if isinstance(parsed, dict) else "must be a JSON object"
    return problem
