"""Specifications: named, composable business rules over candidates.

``spec_a & spec_b``, ``spec_a | spec_b`` and ``~spec`` build new specifications. Chains are
flattened as they are built and evaluation walks the tree with an explicit stack, so a rule
composed from tens of thousands of parts never hits Python's recursion limit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Generic, TypeVar, final

__all__ = ["AllOf", "AnyOf", "Not", "Predicate", "Specification"]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Specification(ABC, Generic[T_contra]):
    """A business rule that a candidate satisfies or not.

    Subclass it and implement `is_satisfied_by`, or wrap a function with `Predicate`.

    Examples:
        >>> class Expensive(Specification[int]):
        ...     def is_satisfied_by(self, candidate: int) -> bool:
        ...         return candidate > 100
        >>> rule = Expensive() & ~Predicate(lambda price: price % 2 == 1)
        >>> rule.is_satisfied_by(200), rule.is_satisfied_by(201)
        (True, False)
    """

    __slots__ = ()

    @abstractmethod
    def is_satisfied_by(self, candidate: T_contra) -> bool:
        """Return whether `candidate` satisfies the rule."""

    def __call__(self, candidate: T_contra) -> bool:
        """Evaluate the rule; a specification can be used wherever a predicate is expected."""
        return self.is_satisfied_by(candidate)

    def __and__(self, other: Specification[T_contra]) -> Specification[T_contra]:
        """Return a rule satisfied when both are."""
        if not isinstance(other, Specification):  # pyright: ignore[reportUnnecessaryIsInstance]
            return NotImplemented
        return AllOf(*_parts(self, AllOf), *_parts(other, AllOf))

    def __or__(self, other: Specification[T_contra]) -> Specification[T_contra]:
        """Return a rule satisfied when either is."""
        if not isinstance(other, Specification):  # pyright: ignore[reportUnnecessaryIsInstance]
            return NotImplemented
        return AnyOf(*_parts(self, AnyOf), *_parts(other, AnyOf))

    def __invert__(self) -> Specification[T_contra]:
        """Return the negated rule (double negation cancels out)."""
        if isinstance(self, Not):
            return self.negated
        return Not(self)


def _parts(spec: Specification[T], kind: type[AllOf[T] | AnyOf[T]]) -> tuple[Specification[T], ...]:
    if type(spec) is kind:
        return spec.parts
    return (spec,)


@final
class Predicate(Specification[T_contra]):
    """A specification made from a plain function ``candidate -> bool``."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[T_contra], bool]) -> None:
        """Wrap `function`."""
        self.function = function

    def is_satisfied_by(self, candidate: T_contra) -> bool:
        """Return what the function returns for `candidate`."""
        return bool(self.function(candidate))

    def __repr__(self) -> str:
        """Name the wrapped function."""
        return f"Predicate({getattr(self.function, '__qualname__', self.function)!r})"


class _Composite(Specification[T_contra]):
    __slots__ = ("parts",)

    def __init__(self, *parts: Specification[T_contra]) -> None:
        self.parts = parts

    def is_satisfied_by(self, candidate: T_contra) -> bool:
        return _evaluate(self, candidate)

    # Equal when built of the very same parts: comparing parts by value would recurse as
    # deep as the tree, and trees may be far deeper than the recursion limit.
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        theirs: tuple[object, ...] = getattr(other, "parts", ())
        return len(theirs) == len(self.parts) and all(
            mine is their for mine, their in zip(self.parts, theirs, strict=True)
        )

    def __hash__(self) -> int:
        return hash((type(self), *map(id, self.parts)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{len(self.parts)} parts>)"


@final
class AllOf(_Composite[T_contra]):
    """Satisfied when every part is (an empty one always is)."""

    __slots__ = ()


@final
class AnyOf(_Composite[T_contra]):
    """Satisfied when at least one part is (an empty one never is)."""

    __slots__ = ()


@final
class Not(Specification[T_contra]):
    """Satisfied when the negated specification is not."""

    __slots__ = ("negated",)

    def __init__(self, negated: Specification[T_contra]) -> None:
        """Negate `negated`."""
        self.negated = negated

    def is_satisfied_by(self, candidate: T_contra) -> bool:
        """Return the opposite of the negated rule."""
        return _evaluate(self, candidate)

    def __eq__(self, other: object) -> bool:
        """Equal to a negation of the very same rule (see the composites on why not by value)."""
        return type(other) is type(self) and getattr(other, "negated", None) is self.negated

    def __hash__(self) -> int:
        """Hash consistently with equality."""
        return hash((Not, id(self.negated)))

    def __repr__(self) -> str:
        """Show what is negated, one level deep."""
        return f"Not({type(self.negated).__name__})"


def _evaluate(root: Specification[T], candidate: T) -> bool:
    # Iterative post-order walk with short-circuiting: each frame is (node, next part index).
    # A finished child leaves its result in `result` for the parent frame to consume.
    stack: list[tuple[Specification[T], int]] = [(root, 0)]
    result = False
    while stack:
        node, index = stack.pop()
        if isinstance(node, Not):
            if index == 0:
                stack.append((node, 1))
                stack.append((node.negated, 0))
            else:
                result = not result
        elif isinstance(node, AllOf | AnyOf):
            # AllOf stops at the first False, AnyOf at the first True.
            stop_on = isinstance(node, AnyOf)
            if index > 0 and result is stop_on:
                continue
            if index == len(node.parts):
                result = not stop_on
                continue
            stack.append((node, index + 1))
            stack.append((node.parts[index], 0))
        else:
            result = node.is_satisfied_by(candidate)
    return result
