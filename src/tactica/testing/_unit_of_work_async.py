"""The unit-of-work conformance contract (async colour).

Subclass `AsyncUnitOfWorkContract` in a test module and implement `new_unit_of_work` and
`outbox_ids`; pytest then runs every behaviour a unit of work must have against your
backend: nothing stored without commit, opened and committed once, all repositories or
none, events collected after commit, outbox rows in the same transaction, and the bus's
fresh unit of work per command.
"""

from __future__ import annotations

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
        every outbox row stored there, as strings.
    """

    def new_unit_of_work(self) -> Any:
        """Return a new unit of work with ``products`` and ``archive`` repositories."""
        raise NotImplementedError

    async def outbox_ids(self) -> set[str]:
        """Return the message ids of the stored outbox rows."""
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
