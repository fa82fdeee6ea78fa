"""Built-in middleware (async colour): logging without payloads, retries, idempotency, locks."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tactica import AsyncMessageBus, ConcurrencyError, Handlers, InvalidMessageError
from tactica.dataclasses import Command, DomainEvent
from tactica.messaging import (
    AsyncIdempotent,
    AsyncKeyedLocks,
    AsyncLogCalls,
    AsyncRetryOnConflict,
    AsyncValidate,
)
from tactica.testing._concurrency import AsyncBarrier, async_run_all


class Charge(Command[int], name="tests.middleware.charge"):
    card: str
    secret_note: str = "s3cr3t"


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0


def _bus(flaky: Flaky, *middleware: Any) -> AsyncMessageBus:
    handlers = Handlers()

    @handlers.command(message_type=Charge)
    async def charge(command: Charge, flaky: Flaky) -> int:
        await _yield()  # lets concurrent duplicates interleave, as real I/O would
        flaky.calls += 1
        if flaky.calls <= flaky.failures:
            raise ConcurrencyError("lost the race")
        return flaky.calls

    return AsyncMessageBus(handlers, dependencies={"flaky": flaky}, middleware=middleware)


@pytest.mark.asyncio
async def test_calls_are_logged_with_type_ids_and_outcome_but_never_payload_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="tactica.messaging")
    bus = _bus(Flaky(failures=1), AsyncLogCalls())
    command = Charge(card="4111")
    with pytest.raises(ConcurrencyError):
        await bus.dispatch(command)
    await bus.dispatch(command)
    outcomes = [record.outcome for record in caplog.records]  # type: ignore[attr-defined]
    assert outcomes == ["ConcurrencyError", "ok"]
    assert all(record.message_id == command.message_id for record in caplog.records)  # type: ignore[attr-defined]
    assert "s3cr3t" not in caplog.text
    assert "4111" not in caplog.text


@pytest.mark.asyncio
async def test_a_conflict_is_retried_only_for_the_listed_types_and_only_so_often() -> None:
    flaky = Flaky(failures=2)
    assert (
        await _bus(flaky, AsyncRetryOnConflict([Charge], attempts=3)).dispatch(Charge(card="c"))
        == 3
    )
    stubborn = Flaky(failures=5)
    with pytest.raises(ConcurrencyError):
        await _bus(stubborn, AsyncRetryOnConflict([Charge], attempts=3)).dispatch(Charge(card="c"))
    assert stubborn.calls == 3
    unlisted = Flaky(failures=1)
    with pytest.raises(ConcurrencyError):
        await _bus(unlisted, AsyncRetryOnConflict([], attempts=3)).dispatch(Charge(card="c"))
    assert unlisted.calls == 1


@pytest.mark.asyncio
async def test_a_repeated_message_id_gets_the_first_result_without_running_again() -> None:
    flaky = Flaky(failures=0)
    bus = _bus(flaky, AsyncIdempotent())
    command = Charge(card="c")
    assert await bus.dispatch(command) == 1
    assert await bus.dispatch(command) == 1
    assert await bus.dispatch(Charge(card="c")) == 2
    assert flaky.calls == 2


@pytest.mark.asyncio
async def test_a_failed_message_is_not_remembered_so_it_can_be_retried() -> None:
    flaky = Flaky(failures=1)
    bus = _bus(flaky, AsyncIdempotent())
    command = Charge(card="c")
    with pytest.raises(ConcurrencyError):
        await bus.dispatch(command)
    assert await bus.dispatch(command) == 2


@pytest.mark.asyncio
async def test_concurrent_duplicates_run_the_handler_once() -> None:
    flaky = Flaky(failures=0)
    bus = _bus(flaky, AsyncIdempotent())
    command = Charge(card="c")
    barrier = AsyncBarrier(4)

    async def send() -> int:
        await barrier.wait()
        return await bus.dispatch(command)

    assert await async_run_all([send] * 4) == [1, 1, 1, 1]
    assert flaky.calls == 1


@pytest.mark.asyncio
async def test_calls_sharing_a_key_never_overlap_and_locks_are_released_after_errors() -> None:
    active: list[str] = []
    overlaps: list[str] = []
    handlers = Handlers()

    @handlers.command(message_type=Charge)
    async def charge(command: Charge) -> int:
        if command.card in active:
            overlaps.append(command.card)
        active.append(command.card)
        for _ in range(3):
            await _yield()
        active.remove(command.card)
        if command.secret_note == "fail":
            raise RuntimeError("declined")
        return 0

    bus = AsyncMessageBus(handlers, middleware=[AsyncKeyedLocks(lambda message: [message.card])])
    work = [lambda: bus.dispatch(Charge(card="same")) for _ in range(4)]
    work.append(lambda: bus.dispatch(Charge(card="same", secret_note="fail")))
    outcomes = await async_run_all(work)
    assert overlaps == []
    assert sum(isinstance(outcome, RuntimeError) for outcome in outcomes) == 1
    assert await bus.dispatch(Charge(card="same")) == 0, "the lock was released after the error"


async def _yield() -> None:
    from tactica._acompat import async_sleep

    await async_sleep(0)


class Refund(Command[int], name="tests.middleware.refund"):
    amount: int

    def check_invariants(self) -> None:
        if self.amount <= 0:
            msg = f"amount must be positive, not {self.amount}"
            raise ValueError(msg)


def _refunds(*middleware: Any) -> tuple[AsyncMessageBus, list[int]]:
    handled: list[int] = []
    handlers = Handlers()

    @handlers.command(message_type=Refund)
    def refund(command: Refund) -> int:
        handled.append(command.amount)
        return command.amount

    return AsyncMessageBus(handlers, middleware=middleware), handled


def _limit(refund: Refund) -> None:
    assert refund.amount <= 100, f"at most 100 per refund, asked {refund.amount}"


@pytest.mark.asyncio
async def test_validation_rechecks_a_message_made_around_its_own_checks() -> None:
    """A message whose field was forced past its invariants is refused before its handler."""
    bus, handled = _refunds(AsyncValidate())
    forged = Refund(amount=5)
    object.__setattr__(forged, "amount", -5)
    with pytest.raises(InvalidMessageError, match="Refund is invalid: amount must be positive"):
        await bus.dispatch(forged)
    assert await bus.dispatch(Refund(amount=5)) == 5
    assert handled == [5]


@pytest.mark.asyncio
async def test_validation_applies_the_entry_points_own_rules_to_subclasses_too() -> None:
    """A rule listed for a type checks its instances; a breach never reaches the handler."""
    bus, handled = _refunds(AsyncValidate({Command: [_limit]}))
    with pytest.raises(InvalidMessageError, match="at most 100 per refund, asked 500"):
        await bus.dispatch(Refund(amount=500))
    assert await bus.dispatch(Refund(amount=100)) == 100
    assert handled == [100]


class Charged(DomainEvent, name="tests.middleware.charged"):
    card: str


def _charging_bus(*middleware: Any) -> tuple[AsyncMessageBus, list[str]]:
    calls: list[str] = []
    handlers = Handlers()

    @handlers.command(message_type=Charge)
    async def charge(command: Charge, holder: dict[str, Any]) -> int:
        calls.append("charge")
        if command.secret_note == "again":
            await holder["bus"].dispatch(Charge(card=command.card))
        await holder["bus"].publish(Charged(card=command.card))
        return 0

    @handlers.event(message_type=Charged)
    def receipt(event: Charged) -> None:
        calls.append("receipt")

    @handlers.event(message_type=Charged)
    def ledger(event: Charged) -> None:
        calls.append("ledger")

    holder: dict[str, Any] = {}
    bus = AsyncMessageBus(handlers, dependencies={"holder": holder}, middleware=middleware)
    holder["bus"] = bus
    return bus, calls


@pytest.mark.asyncio
async def test_idempotency_lets_every_handler_of_an_event_run() -> None:
    """An event's handlers are not duplicates of each other: each runs once per publish."""
    bus, calls = _charging_bus(AsyncIdempotent())
    await bus.publish(Charged(card="c"))
    assert calls == ["receipt", "ledger"]


@pytest.mark.asyncio
async def test_keys_held_by_the_call_chain_are_not_taken_again() -> None:
    """A handler's own events and nested commands with the same key run instead of waiting."""
    locks = AsyncKeyedLocks(lambda message: [message.card])
    bus, calls = _charging_bus(locks)
    await bus.dispatch(Charge(card="c", secret_note="again"))
    assert calls == ["charge", "charge", "receipt", "ledger", "receipt", "ledger"]
