"""The unit-of-work conformance contract (async colour).

Subclass `AsyncUnitOfWorkContract` in a test module and implement `new_unit_of_work` and
`outbox_ids`; pytest then runs every behaviour a unit of work must have against your
backend: the unit-of-work rules of GUARANTEES.md G1, G2 and G7. Rollback by default (state,
events and outbox rows all absent after leaving without commit or with an exception);
opened once and committed once, so re-entry, a second commit and a commit after rollback
or after a failed commit are refused; one winner per aggregate version; all repositories
or none; events collected only after a successful commit; an outbox row exactly when its
commit succeeded; and the bus's fresh unit of work per command, publishing after commit.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Collection
from typing import Any

import pytest

from tactica.dataclasses import Command
from tactica.errors import ConcurrencyError, EventHandlerError, UnitOfWorkError
from tactica.messaging import AsyncMessageBus, Handlers
from tactica.testing._sample import PriceChanged, Product, Restocked

__all__ = ["AsyncUnitOfWorkContract"]


class _Restock(Command[int], name="tactica.testing.restock"):
    sku: str
    quantity: int


class AsyncUnitOfWorkContract:
    """Behaviours every unit of work shares, as pytest tests.

    Hooks:
        `new_unit_of_work` returns a new, unopened unit of work with two repositories of
        `Product`, ``products`` and ``archive``, on the backend's shared storage (set it
        up fresh per test in ``setup_method``); `outbox_ids` returns the ``message_id`` of
        every outbox row stored there, as strings (one entry per row; a list rather than
        a set lets the contract see a message stored twice).
    """

    def new_unit_of_work(self) -> Any:
        """Return a new unit of work with ``products`` and ``archive`` repositories."""
        raise NotImplementedError

    async def outbox_ids(self) -> Collection[str]:
        """Return the message ids of the stored outbox rows, one entry per row."""
        raise NotImplementedError

    async def _stored(self, *skus: str) -> None:
        async with self.new_unit_of_work() as uow:
            for sku in skus:
                await uow.products.add(Product(id=sku))
            await uow.commit()

    async def _stock(self, sku: str) -> int:
        async with self.new_unit_of_work() as uow:
            stock: int = (await uow.products.get(sku)).stock
        return stock

    async def _absent(self, sku: str) -> bool:
        async with self.new_unit_of_work() as uow:
            return await uow.products.find(sku) is None

    async def _rows(self, message_id: object) -> int:
        return sum(1 for stored in await self.outbox_ids() if stored == str(message_id))

    async def _change_everything(self, uow: Any) -> PriceChanged:
        """Change a stored product, add a new one and record an integration event."""
        (await uow.products.get("chair")).restock(5)
        lamp = Product(id="lamp")
        await uow.products.add(lamp)
        change = PriceChanged(sku="lamp", price=12)
        lamp.record(change)
        return change

    async def _nothing_of(self, change: PriceChanged) -> None:
        """Assert that no state, event or outbox row of `_change_everything` was stored."""
        assert await self._stock("chair") == 0, "the change to a stored aggregate was kept"
        assert await self._absent("lamp"), "the added aggregate was stored"
        assert await self._rows(change.event_id) == 0, "the integration event reached the outbox"

    @pytest.mark.asyncio
    async def test_nothing_is_stored_without_commit_and_an_exception_rolls_back(self) -> None:
        """Leaving without commit, or with an exception, stores nothing."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            (await uow.products.get("chair")).restock(5)
        with pytest.raises(RuntimeError):
            async with self.new_unit_of_work() as uow:
                (await uow.products.get("chair")).restock(7)
                raise RuntimeError
        assert await self._stock("chair") == 0

    @pytest.mark.asyncio
    async def test_a_unit_of_work_is_opened_once_and_committed_once(self) -> None:
        """A second commit or a second opening is an error that says what happened."""
        uow = self.new_unit_of_work()
        with pytest.raises(UnitOfWorkError, match="never opened"):
            await uow.commit()
        async with uow:
            await uow.commit()
            with pytest.raises(UnitOfWorkError, match="the first commit succeeded"):
                await uow.commit()
        with pytest.raises(UnitOfWorkError, match="already opened"):
            async with uow:
                pass

    @pytest.mark.asyncio
    async def test_a_failed_commit_stores_nothing_of_any_repository_and_says_so_on_retry(
        self,
    ) -> None:
        """One stale aggregate fails the whole commit: no repository's change is stored."""
        await self._stored("chair", "desk")
        uow = self.new_unit_of_work()
        async with uow:
            (await uow.products.get("chair")).restock(5)
            await uow.archive.add(Product(id="lamp"))
            stale = await uow.archive.get("desk")
            async with self.new_unit_of_work() as rival:
                (await rival.products.get("desk")).restock(1)
                await rival.commit()
            stale.restock(9)
            with pytest.raises(ConcurrencyError):
                await uow.commit()
            with pytest.raises(UnitOfWorkError, match="the first commit failed"):
                await uow.commit()
        async with self.new_unit_of_work() as check:
            assert (await check.products.get("chair")).stock == 0
            assert await check.products.find("lamp") is None
            assert (await check.products.get("desk")).stock == 1
        assert uow.collect_events() == []

    @pytest.mark.asyncio
    async def test_events_of_every_touched_aggregate_are_collected_after_commit_in_order(
        self,
    ) -> None:
        """After commit, every touched aggregate's events, per aggregate in recording order."""
        await self._stored("chair", "desk")
        async with self.new_unit_of_work() as uow:
            (await uow.products.get("chair")).restock(1)
            (await uow.archive.get("desk")).restock(2)
            (await uow.products.get("chair")).restock(3)
            assert uow.collect_events() == [], "nothing before the commit"
            await uow.commit()
        assert [(e.sku, e.quantity) for e in uow.collect_events()] == [
            ("chair", 1),
            ("chair", 3),
            ("desk", 2),
        ]
        assert uow.collect_events() == [], "collected once"

    @pytest.mark.asyncio
    async def test_integration_events_are_written_to_the_outbox_in_the_same_commit(
        self,
    ) -> None:
        """An integration event gets an outbox row with its change; a domain event does not."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            product = await uow.products.get("chair")
            product.restock(1)
            change = PriceChanged(sku="chair", price=99)
            product.record(change)
            await uow.commit()
        stored = await self.outbox_ids()
        assert str(change.event_id) in stored
        restocked = [e for e in uow.collect_events() if isinstance(e, Restocked)]
        assert str(restocked[0].event_id) not in stored

    @pytest.mark.asyncio
    async def test_a_failed_commit_writes_no_outbox_message(self) -> None:
        """A commit that loses a concurrency race writes none of its outbox rows."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            stale = await uow.products.get("chair")
            async with self.new_unit_of_work() as rival:
                (await rival.products.get("chair")).restock(1)
                await rival.commit()
            change = PriceChanged(sku="chair", price=5)
            stale.record(change)
            with pytest.raises(ConcurrencyError):
                await uow.commit()
        assert str(change.event_id) not in await self.outbox_ids()

    @pytest.mark.asyncio
    async def test_the_bus_gives_each_command_a_fresh_unit_of_work_and_publishes_after_commit(
        self,
    ) -> None:
        """Each dispatch gets its own unit of work; committed events reach event handlers."""
        await self._stored("chair")
        seen: list[Any] = []
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        async def restock(command: _Restock, uow: Any) -> int:
            async with uow:
                product = await uow.products.get(command.sku)
                product.restock(command.quantity)
                await uow.commit()
            stock: int = product.stock
            return stock

        @handlers.event(message_type=Restocked)
        def remember(event: Restocked) -> None:
            seen.append(event)

        bus = AsyncMessageBus(handlers, unit_of_work=self.new_unit_of_work)
        command = _Restock(sku="chair", quantity=4)
        assert await bus.dispatch(command) == 4
        assert await bus.dispatch(_Restock(sku="chair", quantity=1)) == 5
        assert [event.quantity for event in seen] == [4, 1]
        assert seen[0].causation_id == command.message_id
        assert seen[0].correlation_id == command.message_id

    @pytest.mark.asyncio
    async def test_a_failing_event_handler_after_commit_says_the_changes_stay_committed(
        self,
    ) -> None:
        """An event handler failing after the commit is reported as such; the change stays."""
        await self._stored("chair")
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        async def restock(command: _Restock, uow: Any) -> int:
            async with uow:
                (await uow.products.get(command.sku)).restock(command.quantity)
                await uow.commit()
            return 0

        @handlers.event(message_type=Restocked)
        def broken(event: Restocked) -> None:  # noqa: ARG001 - the bus passes it; unused
            msg = "mailer down"
            raise RuntimeError(msg)

        bus = AsyncMessageBus(handlers, unit_of_work=self.new_unit_of_work)
        with pytest.raises(EventHandlerError, match=r"committed.*mailer down.*stay committed"):
            await bus.dispatch(_Restock(sku="chair", quantity=2))
        assert await self._stock("chair") == 2

    @pytest.mark.asyncio
    async def test_leaving_without_commit_stores_no_state_no_event_and_no_outbox_row(
        self,
    ) -> None:
        """Leaving the block without commit rolls back: a fresh unit sees nothing of it."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            change = await self._change_everything(uow)
        await self._nothing_of(change)
        assert uow.collect_events() == []

    @pytest.mark.asyncio
    async def test_an_exception_in_the_block_rolls_back_and_propagates_unchanged(self) -> None:
        """An exception in the block rolls everything back and reaches the caller as raised."""
        await self._stored("chair")
        error = LookupError("boom")
        uow = self.new_unit_of_work()
        changes: list[PriceChanged] = []
        with pytest.raises(LookupError) as raised:
            async with uow:
                changes.append(await self._change_everything(uow))
                raise error
        assert raised.value is error
        await self._nothing_of(changes[0])
        assert uow.collect_events() == []

    @pytest.mark.asyncio
    async def test_a_second_commit_is_refused_and_the_first_commits_data_stays(self) -> None:
        """A second commit raises UnitOfWorkError, stores nothing more, keeps the first intact."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            change = await self._change_everything(uow)
            await uow.commit()
            (await uow.products.get("chair")).restock(100)
            with pytest.raises(UnitOfWorkError, match="the first commit succeeded"):
                await uow.commit()
        assert await self._stock("chair") == 5
        assert not await self._absent("lamp")
        assert await self._rows(change.event_id) == 1
        events = uow.collect_events()
        assert [type(event).__name__ for event in events] == ["Restocked", "PriceChanged"]

    @pytest.mark.asyncio
    async def test_entering_an_open_unit_of_work_again_is_refused_and_leaves_it_usable(
        self,
    ) -> None:
        """A nested ``with`` on an open unit raises UnitOfWorkError; the unit still commits."""
        await self._stored("chair")
        uow = self.new_unit_of_work()
        async with uow:
            (await uow.products.get("chair")).restock(3)
            with pytest.raises(UnitOfWorkError, match="already opened"):
                async with uow:
                    pass
            await uow.commit()
        assert await self._stock("chair") == 3

    @pytest.mark.asyncio
    async def test_entering_a_committed_rolled_back_or_failed_unit_of_work_is_refused(
        self,
    ) -> None:
        """A used unit of work cannot be opened again, however its transaction ended."""
        await self._stored("chair")
        committed = self.new_unit_of_work()
        async with committed:
            await committed.commit()
        rolled_back = self.new_unit_of_work()
        async with rolled_back:
            pass
        failed = self.new_unit_of_work()
        async with failed:
            stale = await failed.products.get("chair")
            async with self.new_unit_of_work() as rival:
                (await rival.products.get("chair")).restock(1)
                await rival.commit()
            stale.restock(2)
            with pytest.raises(ConcurrencyError):
                await failed.commit()
        for used in (committed, rolled_back, failed):
            with pytest.raises(UnitOfWorkError, match="already opened"):
                async with used:
                    pass

    @pytest.mark.asyncio
    async def test_commit_after_an_explicit_rollback_is_refused_and_stores_nothing(
        self,
    ) -> None:
        """After ``rollback()`` in the block, commit raises UnitOfWorkError; nothing is stored."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            change = await self._change_everything(uow)
            await uow.rollback()
            with pytest.raises(UnitOfWorkError, match="rolled back"):
                await uow.commit()
        await self._nothing_of(change)
        assert uow.collect_events() == []

    @pytest.mark.asyncio
    async def test_commit_after_leaving_the_block_is_refused_and_stores_nothing(self) -> None:
        """A unit left without commit was rolled back: committing it later is refused."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            change = await self._change_everything(uow)
        with pytest.raises(UnitOfWorkError, match="rolled back"):
            await uow.commit()
        await self._nothing_of(change)

    @pytest.mark.asyncio
    async def test_of_two_units_changing_one_version_exactly_one_commits_and_no_update_is_lost(
        self,
    ) -> None:
        """Two units from the same version: the first commits, the second gets ConcurrencyError."""
        await self._stored("chair")
        first = self.new_unit_of_work()
        second = self.new_unit_of_work()
        async with first, second:
            (await first.products.get("chair")).restock(2)
            (await second.products.get("chair")).restock(3)
            await first.commit()
            with pytest.raises(ConcurrencyError):
                await second.commit()
        assert await self._stock("chair") == 2, "the loser's write replaced the winner's"
        async with self.new_unit_of_work() as retry:
            (await retry.products.get("chair")).restock(3)
            await retry.commit()
        assert await self._stock("chair") == 5, "an update was lost"
        assert [event.quantity for event in first.collect_events()] == [2]
        assert second.collect_events() == []

    @pytest.mark.asyncio
    async def test_no_event_is_collected_before_commit_or_after_a_rollback(self) -> None:
        """Events recorded in a unit that never commits are never handed out."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            await self._change_everything(uow)
            assert uow.collect_events() == [], "events handed out before the commit"
        assert uow.collect_events() == [], "events of a rolled-back unit handed out"

    @pytest.mark.asyncio
    async def test_a_commit_that_loses_a_race_collects_no_event_and_stores_nothing(
        self,
    ) -> None:
        """A ConcurrencyError commit stores no state and no outbox row, and collects no event."""
        await self._stored("chair")
        uow = self.new_unit_of_work()
        async with uow:
            stale = await uow.products.get("chair")
            lamp = Product(id="lamp")
            await uow.products.add(lamp)
            change = PriceChanged(sku="lamp", price=3)
            lamp.record(change)
            async with self.new_unit_of_work() as rival:
                (await rival.products.get("chair")).restock(1)
                await rival.commit()
            stale.restock(4)
            with pytest.raises(ConcurrencyError):
                await uow.commit()
            assert uow.collect_events() == [], "events of a failed commit handed out"
        assert uow.collect_events() == [], "events of a failed commit handed out"
        assert await self._stock("chair") == 1
        assert await self._absent("lamp")
        assert await self._rows(change.event_id) == 0

    @pytest.mark.asyncio
    async def test_a_failed_commit_leaves_the_unit_unusable(self) -> None:
        """After a failed commit, committing again is refused and still stores nothing."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            stale = await uow.products.get("chair")
            async with self.new_unit_of_work() as rival:
                (await rival.products.get("chair")).restock(1)
                await rival.commit()
            stale.restock(4)
            change = PriceChanged(sku="chair", price=8)
            stale.record(change)
            with pytest.raises(ConcurrencyError):
                await uow.commit()
            with pytest.raises(UnitOfWorkError, match="the first commit failed"):
                await uow.commit()
        with pytest.raises(UnitOfWorkError, match="the first commit failed"):
            await uow.commit()
        assert await self._stock("chair") == 1
        assert await self._rows(change.event_id) == 0
        assert uow.collect_events() == []

    @pytest.mark.asyncio
    async def test_a_committed_integration_event_has_exactly_one_outbox_row_with_its_id(
        self,
    ) -> None:
        """One committed integration event is one outbox row whose message id is the event's."""
        await self._stored("chair")
        async with self.new_unit_of_work() as uow:
            change = await self._change_everything(uow)
            await uow.commit()
        assert await self._rows(change.event_id) == 1

    @pytest.mark.asyncio
    async def test_outbox_rows_exist_exactly_for_the_units_that_committed(self) -> None:
        """Of units that commit, roll back, raise or lose a race, only committed ones have rows."""
        seed = 20_260_11
        chance = random.Random(seed)  # noqa: S311 - a reproducible schedule, not a secret
        await self._stored("chair")
        committed: set[str] = set()
        written: set[str] = set()
        outcomes = ["commit", "leave", "raise", "rollback", "conflict"]
        for trial in range(15):
            outcome = outcomes[trial % len(outcomes)] if trial < 5 else chance.choice(outcomes)
            change = PriceChanged(sku="chair", price=trial)
            written.add(str(change.event_id))
            with pytest.raises(RuntimeError) if outcome == "raise" else contextlib.nullcontext():
                async with self.new_unit_of_work() as uow:
                    product = await uow.products.get("chair")
                    product.record(change)
                    if outcome == "commit":
                        await uow.commit()
                        committed.add(str(change.event_id))
                    elif outcome == "raise":
                        raise RuntimeError(outcome)
                    elif outcome == "rollback":
                        await uow.rollback()
                    elif outcome == "conflict":
                        async with self.new_unit_of_work() as rival:
                            (await rival.products.get("chair")).restock(1)
                            await rival.commit()
                        with pytest.raises(ConcurrencyError):
                            await uow.commit()
        rows = [stored for stored in await self.outbox_ids() if stored in written]
        assert sorted(rows) == sorted(committed), f"seed {seed}: outbox rows != committed units"

    @pytest.mark.asyncio
    async def test_the_bus_publishes_events_only_once_their_change_is_committed(self) -> None:
        """An event handler reading through a fresh unit already sees the committed change."""
        await self._stored("chair")
        seen: list[int] = []
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        async def restock(command: _Restock, uow: Any) -> int:
            async with uow:
                (await uow.products.get(command.sku)).restock(command.quantity)
                await uow.commit()
            return 0

        @handlers.event(message_type=Restocked)
        async def read_back(event: Restocked) -> None:
            seen.append(await self._stock(event.sku))

        bus = AsyncMessageBus(handlers, unit_of_work=self.new_unit_of_work)
        await bus.dispatch(_Restock(sku="chair", quantity=6))
        assert seen == [6]

    @pytest.mark.asyncio
    async def test_the_bus_publishes_no_event_of_a_commit_that_failed(self) -> None:
        """A handler whose commit lost a race and who swallowed the error publishes nothing."""
        await self._stored("chair")
        seen: list[Any] = []
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        async def restock(command: _Restock, uow: Any) -> int:
            async with uow:
                stale = await uow.products.get(command.sku)
                async with self.new_unit_of_work() as rival:
                    (await rival.products.get(command.sku)).restock(1)
                    await rival.commit()
                stale.restock(command.quantity)
                try:
                    await uow.commit()
                except ConcurrencyError:
                    return -1
            return 0

        @handlers.event(message_type=Restocked)
        def remember(event: Restocked) -> None:
            seen.append(event)

        bus = AsyncMessageBus(handlers, unit_of_work=self.new_unit_of_work)
        assert await bus.dispatch(_Restock(sku="chair", quantity=6)) == -1
        assert seen == []
        assert await self._stock("chair") == 1
