"""Finding values that would read back as another type: what an untyped field may hold.

A field declared ``Any`` (or ``object``, a type variable, a bare ``dict`` or ``list``...) gives
the decoder no type to rebuild, so it reads back whatever JSON spells: a set or a tuple comes
back as a list, bytes as base64 text, a UUID, a datetime or a Decimal as a string, an int key
as a str key. Rather than store a value that reads back different, the codec refuses it when
encoding. Only fields whose declared type can hold such an untyped value are walked (nested
value objects, containers and unions included), so typed events pay nothing.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, cast

from tactica.domain.eventsourced import substitute
from tactica.domain.metadata import FROZEN_JSON

__all__ = [
    "JSON_VALUES",
    "Checker",
    "class_checkers",
    "first_not_native",
    "untyped_checkers",
]

JSON_VALUES = "dict with str keys, list, str, int, finite float, bool or None"

Checker = Callable[[object, str], tuple[str, str] | None]
"""Returns the path of the first value that would not read back as itself, and why; or None."""

_NATIVE_SCALARS = frozenset({str, int, bool, type(None)})
_UNTYPED = (Any, object)

_plans: weakref.WeakKeyDictionary[type, tuple[tuple[str, Checker], ...]] = (
    weakref.WeakKeyDictionary()
)
_building: set[type] = set()


def _describe(value: object) -> str:
    kind = type(value)
    if kind.__module__ == "builtins":
        return f"{'an' if kind.__name__[0] in 'aeiou' else 'a'} {kind.__name__}"
    return f"a value of type {kind.__module__}.{kind.__qualname__}"


def _reads_back_as(value: object) -> str:
    if isinstance(value, enum.Enum):
        return "its plain value"
    if isinstance(value, bytes | bytearray | memoryview):
        return "text"
    for base in (int, float, str):
        if isinstance(value, base):
            return f"a plain {base.__name__}"
    if isinstance(value, Mapping) or dataclasses.is_dataclass(value) or hasattr(value, "__dict__"):
        return "a plain dict, or not at all"
    if isinstance(value, Iterable):
        return "a list"
    return "a string, or not at all"


def _why(value: object) -> str:
    return (
        f"{_describe(value)} in a place declared Any would read back as {_reads_back_as(value)}; "
        "declare the field's type (set[int], tuple[str, ...], bytes, UUID, datetime, "
        f"Decimal...), or store JSON values only: {JSON_VALUES}"
    )


def _native(value: object, path: str) -> tuple[str, str] | None:
    """Check a value in an untyped place: only JSON's own values read back as themselves.

    Walks with an explicit stack, so deep nesting cannot exhaust the recursion limit, and
    visits each container once, so a cycle ends the walk (the encoder reports it).
    """
    stack: list[tuple[object, str]] = [(value, path)]
    visited: set[int] = set()
    while stack:
        item, where = stack.pop()
        kind = type(item)
        if kind in _NATIVE_SCALARS:
            continue
        if kind is float:
            if math.isfinite(cast("float", item)):
                continue
            return where, "NaN and infinity have no JSON form; store a finite number or None"
        if kind is not dict and kind is not list:
            return where, _why(item)
        if id(item) in visited:
            continue
        visited.add(id(item))
        if kind is list:
            members = cast("list[object]", item)
            stack.extend((member, f"{where}[{i}]") for i, member in enumerate(members))
            continue
        for key, member in cast("dict[object, object]", item).items():
            problem = _key_native(key, where)
            if problem is not None:
                return problem
            stack.append((member, f"{where}.{key}"))
    return None


def _key_native(key: object, where: str) -> tuple[str, str] | None:
    if type(key) is str:
        return None
    return f"{where}.{key!r:.40}", (
        f"the key {key!r:.40} ({_describe(key)}) of a dict in a place declared Any would read "
        "back as a str; use str keys, or declare the field's type (dict[int, ...])"
    )


def untyped_checkers(annotations: Mapping[str, object]) -> tuple[tuple[str, Checker], ...]:
    """Return (field, checker) for each field whose declared type can hold an untyped value."""
    found: list[tuple[str, Checker]] = []
    for name, annotation in annotations.items():
        checker = _checker(annotation)
        if checker is not None:
            found.append((name, checker))
    return tuple(found)


def class_checkers(cls: type[object]) -> tuple[tuple[str, Checker], ...]:
    """Return the checks a value of `cls` needs before it is encoded (none for most classes).

    One per field of a dataclass or pydantic model that can hold an untyped value (type
    variables bound by its generic bases are typed). A plain container encoded by itself
    has no declared member type here (the reader may decode it as ``tuple[Loan, ...]``),
    so it is not checked.
    """
    return _plan(cls, None)


def first_not_native(
    value: object, checkers: tuple[tuple[str, Checker], ...]
) -> tuple[str, str] | None:
    """Return the path of the first value in `value`'s fields that would read back different."""
    for name, checker in checkers:
        problem = checker(getattr(value, name), f"$.{name}")
        if problem is not None:
            return problem
    return None


def _checker(annotation: object) -> Checker | None:  # noqa: PLR0911 - one case per form
    """Return the checker for a value declared `annotation`, or None if it holds no Any."""
    while isinstance(annotation, typing.NewType):
        annotation = annotation.__supertype__
    alias_type = getattr(typing, "TypeAliasType", None)
    if alias_type is not None and isinstance(annotation, alias_type):
        # A named alias may be recursive (pydantic's JsonValue): it declares its own types.
        return None
    if isinstance(annotation, typing.TypeVar):
        # An unbound type variable: the decoder reads its bound, or anything at all.
        bound = annotation.__bound__
        return _native if bound is None else _checker(bound)
    if annotation in _UNTYPED:
        return _native
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        base, *markers = arguments
        return None if FROZEN_JSON in markers else _checker(base)
    if origin is Literal or annotation is type(None):
        return None
    if origin in (typing.Union, types.UnionType):
        return _union([(member, _checker(member)) for member in arguments])
    if isinstance(annotation, type) and not arguments:
        return _bare(cast("type[object]", annotation))
    if not isinstance(origin, type):
        return None
    return _parametrised(cast("type[object]", origin), arguments)


def _parametrised(origin: type[object], arguments: tuple[Any, ...]) -> Checker | None:
    """Return the checker for ``origin[arguments]``: a container, or a generic class."""
    if issubclass(origin, Mapping):
        key, member = arguments if len(arguments) == 2 else (Any, Any)  # noqa: PLR2004
        key_check = _key_native if _checker(key) is not None else None
        member_check = _checker(member)
        if key_check is None and member_check is None:
            return None
        return _mapping(key_check, member_check)
    if origin is tuple and arguments and arguments[-1] is not Ellipsis:
        checks = [_checker(member) for member in arguments]
        return None if all(check is None for check in checks) else _positions(checks)
    if issubclass(origin, Iterable) and not issubclass(origin, str | bytes | bytearray):
        member_check = _checker(arguments[0]) if arguments else _native
        return None if member_check is None else _members(member_check)
    parameters: tuple[object, ...] = getattr(origin, "__parameters__", ())
    return _fields_of(origin, dict(zip(parameters, arguments, strict=False)))


def _bare(annotation: type[object]) -> Checker | None:
    """Return the checker for a value declared as a plain class."""
    cls: type[object] = annotation  # kept unnarrowed by the issubclass checks below
    if issubclass(annotation, str | bytes | bytearray) or typing.is_typeddict(cls):
        return None
    if _is_named_tuple(cls) or _has_fields(cls):
        return _fields_of(cls)  # a value object (pydantic models are iterable too)
    if issubclass(annotation, Mapping):
        return _mapping(_key_native, _native)  # a bare dict: str keys, untyped values
    if issubclass(annotation, Iterable):
        return _members(_native)
    return _fields_of(cls)


def _has_fields(annotation: type[object]) -> bool:
    return dataclasses.is_dataclass(annotation) or hasattr(annotation, "__pydantic_serializer__")


def _is_named_tuple(annotation: type[object]) -> bool:
    cls: type[object] = annotation  # kept unnarrowed by issubclass
    return issubclass(annotation, tuple) and hasattr(cls, "_fields")


def _mapping(key_check: Checker | None, member_check: Checker | None) -> Checker:
    def check(value: object, path: str) -> tuple[str, str] | None:
        if not isinstance(value, Mapping):
            return None
        for key, member in cast("Mapping[object, object]", value).items():
            if key_check is not None:
                problem = key_check(key, path)
                if problem is not None:
                    return problem
            if member_check is not None:
                problem = member_check(member, f"{path}.{key}")
                if problem is not None:
                    return problem
        return None

    return check


def _members(member_check: Checker) -> Checker:
    def check(value: object, path: str) -> tuple[str, str] | None:
        if not isinstance(value, Iterable) or isinstance(value, str | bytes | Mapping):
            return None
        for index, member in enumerate(cast("Iterable[object]", value)):
            problem = member_check(member, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None

    return check


def _positions(checks: list[Checker | None]) -> Checker:
    def check(value: object, path: str) -> tuple[str, str] | None:
        if not isinstance(value, tuple):
            return None
        members = cast("tuple[object, ...]", value)
        for index, (member, member_check) in enumerate(zip(members, checks, strict=False)):
            if member_check is not None:
                problem = member_check(member, f"{path}[{index}]")
                if problem is not None:
                    return problem
        return None

    return check


def _runtime_class(annotation: object) -> type | None:
    origin = typing.get_origin(annotation) or annotation
    while isinstance(origin, typing.NewType):
        origin = origin.__supertype__
    return origin if isinstance(origin, type) else None


def _union(members: list[tuple[object, Checker | None]]) -> Checker | None:
    if all(check is None for _, check in members):
        return None
    untyped = any(check is _native for _, check in members)
    typed = [
        (kind, check)
        for annotation, check in members
        if check is not _native and (kind := _runtime_class(annotation)) is not None
    ]

    def check(value: object, path: str) -> tuple[str, str] | None:
        if value is None:
            return None
        for kind, member_check in typed:
            if isinstance(value, kind):
                return None if member_check is None else member_check(value, path)
        return _native(value, path) if untyped else None

    return check


def _fields_of(cls: type[object], mapping: Mapping[object, object] | None = None) -> Checker | None:
    """Return the checker of a class's own fields (a value object), or None if none is Any."""
    if mapping:
        plan = _plan(cls, mapping)
        return None if not plan else _instance(lambda _kind: plan)
    if cls in _building:
        # A class that contains itself: its plan is looked up when a value is checked.
        return _instance(lambda kind: _plans.get(kind, ()))
    plan = _plan(cls, None)
    return None if not plan else _instance(_plan_of)


def _plan_of(kind: type[object]) -> tuple[tuple[str, Checker], ...]:
    plan = _plans.get(kind)
    return plan if plan is not None else _plan(kind, None)


def _instance(plan_for: Callable[[type], tuple[tuple[str, Checker], ...]]) -> Checker:
    def check(value: object, path: str) -> tuple[str, str] | None:
        for name, field_check in plan_for(type(value)):
            problem = field_check(getattr(value, name, None), f"{path}.{name}")
            if problem is not None:
                return problem
        return None

    return check


def _plan(
    cls: type[object], mapping: Mapping[object, object] | None
) -> tuple[tuple[str, Checker], ...]:
    if mapping is None:
        cached = _plans.get(cls)
        if cached is not None:
            return cached
    annotations = _field_annotations(cls)
    if mapping:
        annotations = {name: substitute(kind, mapping) for name, kind in annotations.items()}
    _building.add(cls)
    try:
        plan = untyped_checkers(annotations)
    finally:
        _building.discard(cls)
    if mapping is None:
        _plans[cls] = plan
    return plan


def _field_annotations(cls: type[object]) -> dict[str, object]:
    fields: Any = getattr(cls, "model_fields", None)
    if isinstance(fields, dict) and hasattr(cls, "__pydantic_serializer__"):
        infos = cast("dict[str, Any]", fields)
        return {
            name: typing.Annotated[info.annotation, *info.metadata]
            if info.metadata
            else info.annotation
            for name, info in infos.items()
        }
    if not (dataclasses.is_dataclass(cls) or _is_named_tuple(cls)):
        return {}
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):
        return {}
    names = (
        [field.name for field in dataclasses.fields(cls)]
        if dataclasses.is_dataclass(cls)
        else list(cast("Any", cls)._fields)
    )
    bound = _generic_arguments(cls)
    return {name: substitute(hints.get(name, Any), bound) for name in names}


def _generic_arguments(cls: type[object]) -> dict[object, object]:
    """Return what the generic bases of `cls` bind their type variables to.

    ``class Account(EventSourcedAggregate[str, ...])`` binds the ``TId`` of ``Entity`` to
    ``str``: the decoder reads the id as a str, so it is typed, not untyped.
    """
    bound: dict[object, object] = {}
    for klass in cls.__mro__:
        for base in vars(klass).get("__orig_bases__", ()):
            origin = typing.get_origin(base)
            parameters: tuple[object, ...] = getattr(origin, "__parameters__", ())
            arguments = [substitute(argument, bound) for argument in typing.get_args(base)]
            for parameter, argument in zip(parameters, arguments, strict=False):
                bound.setdefault(parameter, argument)
    return bound
