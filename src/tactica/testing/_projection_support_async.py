"""What the parts of the projection contract share (async colour): a projection, helpers, hooks.

`Totals` is the projection the runner tests run: a total per account, and a count per
applied event, so that an event applied twice shows. `fold` says what it must hold.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, ClassVar
from uuid import UUID

from tactica._acompat import async_sleep
from tactica.codec import JsonCodec, TypeRegistry
from tactica.eventsourcing import to_new_event
from tactica.projections import AsyncProjectionRunner
from tactica.testing._sample import AccountId, Deposited

__all__ = [
    "ACCOUNTS",
    "BAD_KEYS",
    "BAD_NAMES",
    "CODEC",
    "FLAKY",
    "NOT_JSON",
    "AsyncProjectionContractBase",
    "Totals",
    "fold",
    "taken_soon",
]

CODEC = JsonCodec(TypeRegistry([Deposited]))
ACCOUNTS = [AccountId(UUID(int=n)) for n in (1, 2)]
FLAKY = 7
"""The amount whose handler fails as often as `Totals.flaky` says, then succeeds."""

BAD_NAMES = ["", "-leading", "with space", "slash/ed", "x" * 101, 42]
BAD_KEYS = [
    ("", "k"),
    ("with space", "k"),
    ("x" * 101, "k"),
    (None, "k"),
    ("totals", ""),
    ("totals", "k" * 256),
    ("totals", 42),
]
NOT_JSON = [object(), 1 + 2j, {"nested": object()}, {(1, 2): "tuple key"}]


class Totals:
    """The runner tests' projection: a total per account, and how often each event was applied.

    Each event bumps ``applied/<position>``, so a count of 2 is an event applied twice.
    """

    def __init__(
        self, name: str = "totals", *, poison: tuple[int, ...] = (), flaky: int = 0
    ) -> None:
        self.name = name
        self.poison = set(poison)
        self.flaky = flaky
        self.calls: dict[int, int] = {}
        self.committed: list[int] = []
        self.replaying: list[bool] = []
        self.hold: Callable[[], Awaitable[object]] | None = None
        """Awaited once, by the next event's handler, inside its batch's transaction."""

    def handlers(self) -> dict[type, Any]:
        return {Deposited: self.deposited}

    async def deposited(self, event: Deposited, tx: Any) -> None:
        position = tx.recorded.position
        self.calls[position] = self.calls.get(position, 0) + 1
        self.replaying.append(tx.replaying)
        if self.hold is not None:
            hold, self.hold = self.hold, None
            await hold()
        if event.amount in self.poison:
            msg = f"cannot apply {event.amount}"
            raise RuntimeError(msg)
        if event.amount == FLAKY and self.flaky > 0:
            self.flaky -= 1
            msg = "a transient failure"
            raise RuntimeError(msg)
        key = str(event.account_id)
        await tx.put("totals", key, (await tx.get("totals", key) or 0) + event.amount)
        count = await tx.get("applied", str(position)) or 0
        await tx.put("applied", str(position), count + 1)
        tx.on_commit(partial(self.committed.append, position))


def fold(deposits: list[tuple[int, int, int]], *, skipped: tuple[int, ...] = ()) -> Any:
    """Return the documents `Totals` must hold for `deposits` (position, account, amount)."""
    totals: dict[str, int] = {}
    for position, account, amount in deposits:
        if position not in skipped:
            key = str(ACCOUNTS[account])
            totals[key] = totals.get(key, 0) + amount
    applied = {str(p): 1 for p, _, _ in deposits if p not in skipped}
    return totals, applied


async def taken_soon(lease: Any) -> bool:
    """Return whether `lease` is taken within half a second (a standby's next polls).

    A lock freed by closing its holder's connection is freed by the server a moment later.
    """
    deadline = time.monotonic() + 0.5
    while not await lease.acquire():
        if time.monotonic() > deadline:
            return False
        await async_sleep(0.01)
    return True


class AsyncProjectionContractBase:
    """The hooks and helpers every part of the projection contract shares.

    Hooks:
        `new_store` returns a store on fresh, empty storage; `another_store` a second
        store on the same storage (another connection or session). Set `leases_expire`
        to ``False`` for leases that are not timed (PostgreSQL's advisory locks, freed
        when the holder's connection dies instead), and `shared_wakeups` to ``True``
        where others' appends wake a listener too (PostgreSQL's one NOTIFY channel per
        database), so that a quiet wait cannot be counted on.
    """

    leases_expire: ClassVar[bool] = True
    shared_wakeups: ClassVar[bool] = False

    def new_store(self) -> Any:
        """Return a store on fresh, empty storage (the test's own)."""
        raise NotImplementedError

    def another_store(self) -> Any:
        """Return another store on the storage `new_store` made last."""
        raise NotImplementedError

    async def _deposits(self, store: Any, *amounts: int, account: int = 0) -> list[int]:
        positions: list[int] = []
        for amount in amounts:
            event = Deposited(account_id=ACCOUNTS[account], amount=amount)
            result = await store.append(f"account-{account}", [to_new_event(CODEC, event)])
            positions.append(result.position)
        return positions

    def _batch(self, store: Any, after: int, to: int, name: str = "totals", **options: Any) -> Any:
        return store.projecting(name, generation=1, checkpoint=name, after=after, to=to, **options)

    def _runner(self, store: Any, projection: Totals, **options: Any) -> AsyncProjectionRunner:
        settings: dict[str, Any] = {"batch_size": 3, "poll_interval": 0.01, "retry_delay": 0.001}
        return AsyncProjectionRunner(store, projection, codec=CODEC, **(settings | options))

    async def _caught_up(self, runner: AsyncProjectionRunner, position: int) -> None:
        # A lease its last holder just gave up may be freed a moment later (PostgreSQL
        # frees an advisory lock once the closed connection's backend has gone).
        deadline = time.monotonic() + 2.0
        while not await runner.store.reached(runner.name, position):
            assert time.monotonic() < deadline, f"{runner.name} did not reach {position}"
            await runner.run_until_caught_up()

    async def _read_models(self, store: Any, name: str = "totals") -> Any:
        return await store.documents(name, "totals"), await store.documents(name, "applied")
