"""Functional deciders: event sourcing with plain functions over immutable state.

A decider is three things: the ``initial_state`` before any event, ``decide(command,
state)``, which returns the events a command causes (and raises when it is refused), and
``evolve(state, event)``, which returns the state after one event. It holds no state of its
own and never does I/O, so it is tested with values alone; the same store and repositories
run it as they run `EventSourcedAggregate`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any, Final, Literal, Protocol, TypeVar

__all__ = ["Decider", "decide_and_evolve", "fold"]

C_contra = TypeVar("C_contra", contravariant=True)
C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


class _Initial(Enum):
    INITIAL = "INITIAL"

    def __repr__(self) -> str:
        return "INITIAL"


_INITIAL: Final = _Initial.INITIAL


class Decider(Protocol[C_contra, E, S]):
    """What decides commands and evolves state: any object with these three members.

    No base class is needed: a class (or an instance, or a module-like namespace object)
    with ``initial_state``, ``decide`` and ``evolve`` is a ``Decider[Command, Event,
    State]`` to type checkers. State is best immutable (a frozen dataclass or
    `ValueObject`), so that ``evolve`` returns a new one and a refused command can never
    leave a half-changed state behind. As with aggregates, ``match`` over the event union
    with ``assert_never`` in the last case makes a forgotten event a type error.

    Examples:
        >>> from dataclasses import dataclass, replace
        >>> from typing import TypeAlias, assert_never
        >>> from tactica import Decider, decide_and_evolve, fold
        >>> @dataclass(frozen=True)
        ... class Deposit:
        ...     amount: int
        >>> @dataclass(frozen=True)
        ... class Deposited:
        ...     amount: int
        >>> @dataclass(frozen=True)
        ... class Balance:
        ...     amount: int = 0
        >>> class Account:
        ...     initial_state = Balance()
        ...
        ...     def decide(self, command: Deposit, state: Balance) -> list[Deposited]:
        ...         if command.amount <= 0:
        ...             raise ValueError("deposit a positive amount")
        ...         return [Deposited(command.amount)]
        ...
        ...     def evolve(self, state: Balance, event: Deposited) -> Balance:
        ...         return replace(state, amount=state.amount + event.amount)
        >>> account: Decider[Deposit, Deposited, Balance] = Account()
        >>> state = fold(account, [Deposited(5), Deposited(7)])
        >>> state
        Balance(amount=12)
        >>> decide_and_evolve(account, Deposit(3), state)
        ([Deposited(amount=3)], Balance(amount=15))
    """

    @property
    def initial_state(self) -> S:
        """The state before the first event."""
        ...

    def decide(self, command: C_contra, state: S, /) -> Sequence[E]:
        """Return the events that `command` causes in `state`; raise to refuse it."""
        ...

    def evolve(self, state: S, event: E, /) -> S:
        """Return the state after `event`; never fails for an event that was decided."""
        ...


def fold(
    decider: Decider[Any, E, S],
    events: Iterable[E],
    /,
    state: S | Literal[_Initial.INITIAL] = _INITIAL,
) -> S:
    """Return the state after `events`, starting from `state` (the initial state if omitted).

    Loading from a snapshot is ``fold(decider, tail, state=snapshot)``.

    Examples:
        >>> from tactica import fold
        >>> class Counter:
        ...     initial_state = 0
        ...
        ...     def decide(self, command: int, state: int) -> list[int]:
        ...         return [command]
        ...
        ...     def evolve(self, state: int, event: int) -> int:
        ...         return state + event
        >>> fold(Counter(), [1, 2, 3]), fold(Counter(), [4], state=10)
        (6, 14)
    """
    current: S = decider.initial_state if state is _INITIAL else state
    evolve = decider.evolve
    for event in events:
        current = evolve(current, event)
    return current


def decide_and_evolve(
    decider: Decider[C, E, S],
    command: C,
    state: S | Literal[_Initial.INITIAL] = _INITIAL,
    /,
) -> tuple[Sequence[E], S]:
    """Decide `command` in `state` (the initial state if omitted); return events and new state.

    The new state is `state` evolved by the decided events: what a state-stored decider
    saves, or an in-process cache keeps, without loading the events back.

    Examples:
        >>> from tactica import decide_and_evolve
        >>> class Counter:
        ...     initial_state = 0
        ...
        ...     def decide(self, command: int, state: int) -> list[int]:
        ...         return [command] if command else []
        ...
        ...     def evolve(self, state: int, event: int) -> int:
        ...         return state + event
        >>> decide_and_evolve(Counter(), 5), decide_and_evolve(Counter(), 0, 5)
        (([5], 5), ([], 5))
    """
    current: S = decider.initial_state if state is _INITIAL else state
    events = decider.decide(command, current)
    evolve = decider.evolve
    for event in events:
        current = evolve(current, event)
    return events, current
