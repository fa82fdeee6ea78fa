"""Structural snapshots of aggregate state, for the in-memory backend's change detection.

Entities compare by identity, so ``==`` cannot tell whether an aggregate's nested entities
changed. A database-backed repository sees the difference in the rows it would write; the
in-memory one compares these structural snapshots instead.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any, cast

__all__ = ["detached_copy", "structure"]

_ATOMS = (str, int, float, bytes, bool, type(None))


def structure(value: Any) -> Any:
    """Return a hashable-free, comparable nested tuple describing `value`'s full state."""
    # Iterative: aggregates are shallow, but hostile or cyclic data must not blow the stack.
    root: list[Any] = []
    stack: list[tuple[Any, list[Any]]] = [(value, root)]
    seen: set[int] = set()
    while stack:
        item, out = stack.pop()
        if isinstance(item, _ATOMS):
            out.append(item)
            continue
        if id(item) in seen:
            out.append(("<cycle>", type(item).__qualname__))
            continue
        node: list[Any] = [type(item).__qualname__]
        out.append(node)
        if isinstance(item, dict):
            mapping = cast("dict[object, object]", item)
            seen.add(id(mapping))
            for key in sorted(mapping, key=repr):
                node.append(repr(key))
                stack.append((mapping[key], node))
        elif isinstance(item, list | tuple | set | frozenset):
            collection = cast("Collection[object]", item)
            seen.add(id(collection))
            members: list[object] = (
                sorted(collection, key=repr)
                if isinstance(item, set | frozenset)
                else list(collection)
            )
            stack.extend((member, node) for member in reversed(members))
        elif hasattr(item, "__dict__"):
            seen.add(id(item))
            attributes = cast("dict[str, object]", vars(item))
            fields = {k: v for k, v in attributes.items() if not k.startswith("_tactica")}
            stack.append((fields, node))
        else:
            node.append(repr(item))
    return _freeze(root[0])


def _freeze(value: Any) -> Any:
    stack: list[Any] = [value]
    order: list[list[object]] = []
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            node = cast("list[object]", item)
            order.append(node)
            stack.extend(node)
    frozen: dict[int, tuple[object, ...]] = {}
    for node in reversed(order):
        frozen[id(node)] = tuple(frozen.get(id(x), x) for x in node)
    return frozen.get(id(value), value)


def detached_copy(aggregate: Any) -> Any:
    """Return a deep copy of `aggregate` that shares nothing with it and has no pending events."""
    clone = copy.deepcopy(aggregate)
    pull = getattr(clone, "pull_events", None)
    if callable(pull):
        pull()
    return clone
