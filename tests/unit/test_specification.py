"""Specification: composition with &, |, ~, short-circuiting, and deep trees without recursion."""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from tactica import Predicate, Specification
from tactica.domain.specification import AllOf, AnyOf, Not

is_even = Predicate(lambda n: n % 2 == 0)
is_positive = Predicate(lambda n: n > 0)
is_small = Predicate(lambda n: abs(n) < 10)


class Divisible(Specification[int]):
    def __init__(self, by: int) -> None:
        self.by = by

    def is_satisfied_by(self, candidate: int) -> bool:
        return candidate % self.by == 0


def test_a_subclass_and_a_predicate_compose_into_one_rule() -> None:
    rule = Divisible(3) & ~is_even
    assert rule.is_satisfied_by(9)
    assert not rule.is_satisfied_by(6)
    assert rule(15), "a specification is also callable, so it can be passed to filter()"
    assert list(filter(rule, range(10))) == [3, 9]


def test_and_or_not_follow_the_truth_tables() -> None:
    for n in range(-20, 21):
        assert (is_even & is_positive)(n) == (n % 2 == 0 and n > 0)
        assert (is_even | is_positive)(n) == (n % 2 == 0 or n > 0)
        assert (~is_even)(n) == (n % 2 != 0)
        assert (~(is_even & is_small) | is_positive)(n) == (
            not (n % 2 == 0 and abs(n) < 10) or n > 0
        )


def test_chains_of_the_same_operator_are_flattened() -> None:
    rule = is_even & is_positive & is_small
    assert isinstance(rule, AllOf)
    assert rule.parts == (is_even, is_positive, is_small)
    either = is_even | is_positive | is_small
    assert isinstance(either, AnyOf)
    assert len(either.parts) == 3


def test_double_negation_gives_back_the_rule() -> None:
    assert ~~is_even is is_even
    assert ~is_even == Not(is_even)
    assert hash(~is_even) == hash(Not(is_even))


def test_empty_compositions_have_the_identity_values() -> None:
    assert AllOf[int]().is_satisfied_by(1)
    assert not AnyOf[int]().is_satisfied_by(1)


def test_evaluation_stops_at_the_first_deciding_part() -> None:
    calls: list[str] = []

    def seen(name: str, answer: bool) -> Predicate[int]:
        return Predicate(lambda _: calls.append(name) is None and answer)

    assert not (seen("a", False) & seen("b", True))(0)
    assert calls == ["a"]
    calls.clear()
    assert (seen("a", True) | seen("b", False))(0)
    assert calls == ["a"]


def test_a_hundred_thousand_levels_deep_rule_evaluates_without_recursion_error() -> None:
    depth = 100_000
    assert depth > sys.getrecursionlimit() * 10
    rule: Specification[int] = is_even
    for level in range(depth):
        rule = (rule | is_small) & is_positive if level % 2 else ~(rule & is_even)
    # The tree alternates operators, so nothing is flattened and the depth is real.
    assert isinstance(rule, AllOf)
    assert rule(4) == _naive_expected_for_alternating(depth, 4)


def _naive_expected_for_alternating(depth: int, n: int) -> bool:
    value = n % 2 == 0
    for level in range(depth):
        value = (value or abs(n) < 10) and n > 0 if level % 2 else not (value and n % 2 == 0)
    return value


def test_predicate_repr_names_the_function() -> None:
    def in_stock(n: int) -> bool:
        return n > 0

    assert "in_stock" in repr(Predicate(in_stock))


leaves = st.sampled_from([is_even, is_positive, is_small])
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.tuples(children, children).map(lambda pair: pair[0] & pair[1]),
        st.tuples(children, children).map(lambda pair: pair[0] | pair[1]),
        children.map(lambda child: ~child),
    ),
    max_leaves=30,
)


def _reference(rule: Specification[int], n: int) -> bool:
    """A plain recursive evaluator, the obviously-correct definition."""
    if isinstance(rule, AllOf):
        return all(_reference(part, n) for part in rule.parts)
    if isinstance(rule, AnyOf):
        return any(_reference(part, n) for part in rule.parts)
    if isinstance(rule, Not):
        return not _reference(rule.negated, n)
    return rule.is_satisfied_by(n)


@given(rule=trees, n=st.integers(min_value=-50, max_value=50))
def test_any_composition_agrees_with_a_recursive_reference_evaluator(
    rule: Specification[int], n: int
) -> None:
    assert rule.is_satisfied_by(n) == _reference(rule, n)


def test_deep_rules_compare_and_hash_without_recursion_error() -> None:
    rule: Specification[int] = is_even
    for _ in range(50_000):
        rule = ~(rule & is_small)
    same = rule
    assert rule == same
    assert hash(rule) == hash(same)
    assert rule != ~(rule & is_small)


def test_combining_with_something_that_is_not_a_specification_is_a_type_error() -> None:
    import pytest

    with pytest.raises(TypeError):
        is_even & (lambda n: n > 0)  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue]
    with pytest.raises(TypeError):
        is_even | True  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue]
