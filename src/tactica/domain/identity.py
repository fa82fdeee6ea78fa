"""Identity of entities: which id types tactica can generate, and the sentinel for "omitted"."""

from __future__ import annotations

import inspect
import typing
import weakref
from collections.abc import Callable
from typing import Any, Final, NewType, TypeVar, get_args, get_origin
from uuid import UUID

from tactica.domain.context import decoding
from tactica.domain.envelope import MissingOnDecodeError
from tactica.domain.ids import uuid7
from tactica.errors import MissingIdentityError

__all__ = ["AUTO_ID", "id_factory_for", "resolve_id_type"]


class _AutoId:
    """Stands in for an omitted entity id until the entity finishes construction."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "AUTO_ID"

    def __reduce__(self) -> str:
        return "AUTO_ID"


AUTO_ID: Final[Any] = _AutoId()


def _underlying(id_type: object) -> object:
    while isinstance(id_type, NewType):
        id_type = id_type.__supertype__
    return id_type


def resolve_id_type(cls: type, base: type) -> object:
    """Find what a subclass of the generic `base` (``Entity[TId]``) declared as its id type.

    An explicit ``id: X`` annotation wins; otherwise the first type argument given to a
    parametrised base in the class's ancestry (``class Order(AggregateRoot[OrderId])``).
    Returns ``Any`` when the id type was never bound.
    """
    for klass in cls.__mro__:
        if klass is base:
            break
        annotation = inspect.get_annotations(klass).get("id")
        if annotation is not None and not isinstance(annotation, str | TypeVar):
            return annotation
        for parent in klass.__dict__.get("__orig_bases__", ()):
            origin = get_origin(parent)
            args = get_args(parent)
            if (
                isinstance(origin, type)
                and issubclass(origin, base)
                and args
                and not isinstance(args[0], TypeVar)
            ):
                return args[0]
    hints = typing.get_type_hints(cls) if cls.__module__ in _importable_modules() else {}
    resolved = hints.get("id", Any)
    return Any if isinstance(resolved, TypeVar) else resolved


def _importable_modules() -> typing.Container[str]:
    import sys  # noqa: PLC0415 - only needed on the rare string-annotation path

    return sys.modules


def id_factory_for(cls: type, id_type: object) -> Callable[[], Any]:
    """Return how to make an id for `cls` when none was given.

    UUIDs (and ``NewType``s of UUID) get a fresh `uuid7`; an unbound id type (plain
    ``Entity``) does too. Any other type has no natural generator, so the returned factory
    raises `MissingIdentityError` telling the caller to pass ``id=``.
    """
    underlying = _underlying(id_type)
    if underlying is UUID or underlying is Any or isinstance(underlying, TypeVar):
        return uuid7

    def refuse() -> Any:
        msg = (
            f"{cls.__qualname__} needs an explicit id: its id type {id_type!r} cannot be "
            f"generated (only UUID ids are); pass id=... when creating it"
        )
        raise MissingIdentityError(msg)

    return refuse


_T = TypeVar("_T")
_factories: weakref.WeakKeyDictionary[type, Callable[[], Any]] = weakref.WeakKeyDictionary()


def new_id(cls: type[_T], id_type_of: Callable[[type[_T]], object]) -> Any:
    """Return a fresh id for an instance of `cls`, deciding how (once per class)."""
    if decoding():
        raise MissingOnDecodeError("id")
    factory = _factories.get(cls)
    if factory is None:
        factory = _factories[cls] = id_factory_for(cls, id_type_of(cls))
    return factory()
