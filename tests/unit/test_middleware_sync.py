# Generated from test_middleware_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Built-in middleware (sync colour): logging without payloads, retries, idempotency, locks."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tactica import (
    MessageBus,
    ConcurrencyError,
    ConfigurationError,
    Handlers,
    InvalidMessageError,
)
from tactica.dataclasses import Command, DomainEvent
from tactica.errors import ConflictRetriesExhaustedError
from tactica.messaging import (
    Idempotent,
    KeyedLocks,
    LogCalls,
    RetryOnConflict,
    Validate,
)
from tactica.messaging._retry import full_jitter
from tactica.testing._concurrency import Barrier, run_all


class Charge(Command[int], name="tests.middleware.charge"):
    card: str
    secret_note: str = "s3cr3t"


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0


def _bus(flaky: Flaky, *middleware: Any) -> MessageBus:
    handlers = Handlers()

    @handlers.command(message_type=Charge)
    def charge(command: Charge, flaky: Flaky) -> int:
        _yield()  # lets concurrent duplicates interleave, as real I/O would
        flaky.calls += 1
        if flaky.calls <= flaky.failures:
            raise ConcurrencyError(f"lost race {flaky.calls}")
        return flaky.calls

    return MessageBus(handlers, dependencies={"flaky": flaky}, middleware=middleware)


def test_calls_are_logged_with_type_ids_and_outcome_but_never_payload_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="tactica.messaging")
    bus = _bus(Flaky(failures=1), LogCalls())
    command = Charge(card="4111")
    with pytest.raises(ConcurrencyError):
        bus.dispatch(command)
    bus.dispatch(command)
    outcomes = [record.outcome for record in caplog.records]  # type: ignore[attr-defined]
    assert outcomes == ["ConcurrencyError", "ok"]
    assert all(record.message_id == command.message_id for record in caplog.records)  # type: ignore[attr-defined]
    assert "s3cr3t" not in caplog.text
    assert "4111" not in caplog.text


def test_a_conflict_is_retried_only_for_the_listed_types_and_only_so_often() -> None:
    flaky = Flaky(failures=2)
    assert (
        _bus(flaky, RetryOnConflict([Charge], attempts=3)).dispatch(Charge(card="c"))
        == 3
    )
    stubborn = Flaky(failures=5)
    with pytest.raises(ConcurrencyError):
        _bus(stubborn, RetryOnConflict([Charge], attempts=3)).dispatch(Charge(card="c"))
    assert stubborn.calls == 3
    unlisted = Flaky(failures=1)
    with pytest.raises(ConcurrencyError):
        _bus(unlisted, RetryOnConflict([], attempts=3)).dispatch(Charge(card="c"))
    assert unlisted.calls == 1


class Waits:
    """Records the waits a retry asks for, instead of waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def _draws(values: list[float]) -> Any:
    """A random source that returns `values` in turn."""
    remaining = iter(values)
    return lambda: next(remaining)


@settings(max_examples=200, deadline=None)
@given(
    attempts=st.integers(min_value=1, max_value=40),
    backoff=st.floats(min_value=0, max_value=10, allow_nan=False),
    max_backoff=st.floats(min_value=0, max_value=100, allow_nan=False),
    fractions=st.lists(st.floats(min_value=0, max_value=1), min_size=39, max_size=39),
)
def test_each_wait_is_drawn_between_zero_and_its_capped_exponential_ceiling(
    attempts: int, backoff: float, max_backoff: float, fractions: list[float]
) -> None:
    """Before retry n the wait is the drawn fraction of min(max_backoff, backoff * 2**(n-1))."""
    waits = Waits()
    retry = RetryOnConflict(
        [Charge],
        attempts=attempts,
        backoff=backoff,
        max_backoff=max_backoff,
        random=_draws(fractions),
        sleep=waits,
    )
    stubborn = Flaky(failures=attempts)
    with pytest.raises(ConflictRetriesExhaustedError) as raised:
        _bus(stubborn, retry).dispatch(Charge(card="c"))
    assert stubborn.calls == attempts
    assert len(waits.seconds) == attempts - 1
    ceilings = [min(max_backoff, backoff * 2**n) for n in range(attempts - 1)]
    for wait, ceiling, fraction in zip(waits.seconds, ceilings, fractions, strict=False):
        assert 0 <= wait <= ceiling
        assert wait == pytest.approx(fraction * ceiling)
    assert ceilings == sorted(ceilings), "the ceiling never shrinks"
    assert raised.value.waited == pytest.approx(sum(waits.seconds))


@settings(max_examples=300, deadline=None)
@given(
    retry=st.integers(min_value=1, max_value=10**6),
    base=st.floats(min_value=0, max_value=1e300, allow_nan=False),
    cap=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    fraction=st.floats(allow_nan=True, allow_infinity=True),
)
def test_a_wait_stays_within_bounds_for_any_retry_number_and_any_random_value(
    retry: int, base: float, cap: float, fraction: float
) -> None:
    """Huge retry numbers do not overflow; a random value outside [0, 1] or NaN is clamped."""
    wait = full_jitter(retry, base=base, cap=cap, random=lambda: fraction)
    assert math.isfinite(wait)
    assert 0 <= wait <= min(cap, base * 2.0 ** min(retry - 1, 1000))


def test_running_out_of_retries_says_how_many_over_how_long_and_chains_the_last() -> None:
    """The final error counts the attempts and the time, quotes and chains the last conflict."""
    stubborn = Flaky(failures=5)
    retry = RetryOnConflict([Charge], attempts=3, backoff=0.01, random=lambda: 1.0)
    with pytest.raises(ConflictRetriesExhaustedError) as raised:
        _bus(stubborn, retry).dispatch(Charge(card="c"))
    error = raised.value
    assert isinstance(error, ConcurrencyError), "callers catching conflicts still catch it"
    assert isinstance(error.__cause__, ConcurrencyError)
    assert str(error.__cause__) == "lost race 3", "the last conflict, not the first"
    assert error.last_conflict is error.__cause__
    assert (error.message_type, error.attempts) == ("Charge", 3)
    assert error.waited == pytest.approx(0.03)
    assert error.elapsed >= 0.03
    text = str(error)
    assert re.match(
        r"Charge lost the optimistic-concurrency race on all 3 attempts over \d+\.\d{3} s "
        r"\(0\.030 s of it waiting between attempts\): the retries ran out",
        text,
    ), text
    assert "the last conflict: lost race 3" in text
    assert "KeyedLocks" in text
    assert stubborn.calls == 3


def test_a_single_attempt_that_conflicts_says_it_was_the_only_one() -> None:
    """With attempts=1 nothing is retried and the error says so."""
    waits = Waits()
    retry = RetryOnConflict([Charge], attempts=1, sleep=waits)
    with pytest.raises(ConflictRetriesExhaustedError, match="on its only attempt over"):
        _bus(Flaky(failures=1), retry).dispatch(Charge(card="c"))
    assert waits.seconds == []


def test_errors_other_than_conflicts_are_not_retried_nor_wrapped() -> None:
    """Only a ConcurrencyError is retried; anything else reaches the caller unchanged."""
    handlers = Handlers()
    calls: list[int] = []

    @handlers.command(message_type=Charge)
    def charge(command: Charge) -> int:
        calls.append(1)
        raise RuntimeError("declined")

    bus = MessageBus(handlers, middleware=[RetryOnConflict([Charge])])
    with pytest.raises(RuntimeError, match="declined"):
        bus.dispatch(Charge(card="c"))
    assert calls == [1]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"attempts": 0}, "attempts"),
        ({"attempts": -3}, "attempts"),
        ({"attempts": True}, "attempts"),
        ({"attempts": 2.5}, "attempts"),
        ({"attempts": "3"}, "attempts"),
        ({"backoff": -0.1}, "backoff"),
        ({"backoff": math.nan}, "backoff"),
        ({"backoff": math.inf}, "backoff"),
        ({"backoff": "0.1"}, "backoff"),
        ({"max_backoff": -1}, "max_backoff"),
        ({"max_backoff": math.inf}, "max_backoff"),
        ({"max_backoff": None}, "max_backoff"),
    ],
)
def test_a_schedule_that_cannot_work_is_refused_naming_the_argument(
    arguments: dict[str, Any], named: str
) -> None:
    """Bad attempts or waits are a ConfigurationError at construction, naming the argument."""
    with pytest.raises(ConfigurationError, match=f"RetryOnConflict {named} must be"):
        RetryOnConflict([Charge], **arguments)


def test_the_default_schedule_draws_different_waits() -> None:
    """By default each wait is drawn afresh, so two commands that collide wait differently."""
    waits = Waits()
    retry = RetryOnConflict([Charge], attempts=9, backoff=1.0, sleep=waits)
    assert (retry.attempts, retry.backoff, retry.max_backoff) == (9, 1.0, 0.5)
    with pytest.raises(ConflictRetriesExhaustedError):
        _bus(Flaky(failures=9), retry).dispatch(Charge(card="c"))
    assert len(set(waits.seconds)) == 8
    assert all(0 <= wait <= 0.5 for wait in waits.seconds)


def test_a_repeated_message_id_gets_the_first_result_without_running_again() -> None:
    flaky = Flaky(failures=0)
    bus = _bus(flaky, Idempotent())
    command = Charge(card="c")
    assert bus.dispatch(command) == 1
    assert bus.dispatch(command) == 1
    assert bus.dispatch(Charge(card="c")) == 2
    assert flaky.calls == 2


def test_a_failed_message_is_not_remembered_so_it_can_be_retried() -> None:
    flaky = Flaky(failures=1)
    bus = _bus(flaky, Idempotent())
    command = Charge(card="c")
    with pytest.raises(ConcurrencyError):
        bus.dispatch(command)
    assert bus.dispatch(command) == 2


def test_concurrent_duplicates_run_the_handler_once() -> None:
    flaky = Flaky(failures=0)
    bus = _bus(flaky, Idempotent())
    command = Charge(card="c")
    barrier = Barrier(4)

    def send() -> int:
        barrier.wait()
        return bus.dispatch(command)

    assert run_all([send] * 4) == [1, 1, 1, 1]
    assert flaky.calls == 1


def test_calls_sharing_a_key_never_overlap_and_locks_are_released_after_errors() -> None:
    active: list[str] = []
    overlaps: list[str] = []
    handlers = Handlers()

    @handlers.command(message_type=Charge)
    def charge(command: Charge) -> int:
        if command.card in active:
            overlaps.append(command.card)
        active.append(command.card)
        for _ in range(3):
            _yield()
        active.remove(command.card)
        if command.secret_note == "fail":
            raise RuntimeError("declined")
        return 0

    bus = MessageBus(handlers, middleware=[KeyedLocks(lambda message: [message.card])])
    work = [lambda: bus.dispatch(Charge(card="same")) for _ in range(4)]
    work.append(lambda: bus.dispatch(Charge(card="same", secret_note="fail")))
    outcomes = run_all(work)
    assert overlaps == []
    assert sum(isinstance(outcome, RuntimeError) for outcome in outcomes) == 1
    assert bus.dispatch(Charge(card="same")) == 0, "the lock was released after the error"


def _yield() -> None:
    from tactica._acompat import sleep

    sleep(0)


class Refund(Command[int], name="tests.middleware.refund"):
    amount: int

    def check_invariants(self) -> None:
        if self.amount <= 0:
            msg = f"amount must be positive, not {self.amount}"
            raise ValueError(msg)


def _refunds(*middleware: Any) -> tuple[MessageBus, list[int]]:
    handled: list[int] = []
    handlers = Handlers()

    @handlers.command(message_type=Refund)
    def refund(command: Refund) -> int:
        handled.append(command.amount)
        return command.amount

    return MessageBus(handlers, middleware=middleware), handled


def _limit(refund: Refund) -> None:
    assert refund.amount <= 100, f"at most 100 per refund, asked {refund.amount}"


def test_validation_rechecks_a_message_made_around_its_own_checks() -> None:
    """A message whose field was forced past its invariants is refused before its handler."""
    bus, handled = _refunds(Validate())
    forged = Refund(amount=5)
    object.__setattr__(forged, "amount", -5)
    with pytest.raises(InvalidMessageError, match="Refund is invalid: amount must be positive"):
        bus.dispatch(forged)
    assert bus.dispatch(Refund(amount=5)) == 5
    assert handled == [5]


def test_validation_applies_the_entry_points_own_rules_to_subclasses_too() -> None:
    """A rule listed for a type checks its instances; a breach never reaches the handler."""
    bus, handled = _refunds(Validate({Command: [_limit]}))
    with pytest.raises(InvalidMessageError, match="at most 100 per refund, asked 500"):
        bus.dispatch(Refund(amount=500))
    assert bus.dispatch(Refund(amount=100)) == 100
    assert handled == [100]


class Charged(DomainEvent, name="tests.middleware.charged"):
    card: str


def _charging_bus(*middleware: Any) -> tuple[MessageBus, list[str]]:
    calls: list[str] = []
    handlers = Handlers()

    @handlers.command(message_type=Charge)
    def charge(command: Charge, holder: dict[str, Any]) -> int:
        calls.append("charge")
        if command.secret_note == "again":
            holder["bus"].dispatch(Charge(card=command.card))
        holder["bus"].publish(Charged(card=command.card))
        return 0

    @handlers.event(message_type=Charged)
    def receipt(event: Charged) -> None:
        calls.append("receipt")

    @handlers.event(message_type=Charged)
    def ledger(event: Charged) -> None:
        calls.append("ledger")

    holder: dict[str, Any] = {}
    bus = MessageBus(handlers, dependencies={"holder": holder}, middleware=middleware)
    holder["bus"] = bus
    return bus, calls


def test_idempotency_lets_every_handler_of_an_event_run() -> None:
    """An event's handlers are not duplicates of each other: each runs once per publish."""
    bus, calls = _charging_bus(Idempotent())
    bus.publish(Charged(card="c"))
    assert calls == ["receipt", "ledger"]


def test_keys_held_by_the_call_chain_are_not_taken_again() -> None:
    """A handler's own events and nested commands with the same key run instead of waiting."""
    locks = KeyedLocks(lambda message: [message.card])
    bus, calls = _charging_bus(locks)
    bus.dispatch(Charge(card="c", secret_note="again"))
    assert calls == ["charge", "charge", "receipt", "ledger", "receipt", "ledger"]
