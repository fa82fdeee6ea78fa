# Generated from _unit_of_work_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The unit-of-work conformance contract (sync colour).

Subclass `UnitOfWorkContract` in a test module and implement `new_unit_of_work` and
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
from tactica.messaging import MessageBus, Handlers
from tactica.testing._sample import PriceChanged, Product, Restocked

__all__ = ["UnitOfWorkContract"]


class _Restock(Command[int], name="tactica.testing.restock"):
    sku: str
    quantity: int


class UnitOfWorkContract:
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

    def outbox_ids(self) -> Collection[str]:
        """Return the message ids of the stored outbox rows, one entry per row."""
        raise NotImplementedError

    def _stored(self, *skus: str) -> None:
        with self.new_unit_of_work() as uow:
            for sku in skus:
                uow.products.add(Product(id=sku))
            uow.commit()

    def _stock(self, sku: str) -> int:
        with self.new_unit_of_work() as uow:
            stock: int = (uow.products.get(sku)).stock
        return stock

    def _absent(self, sku: str) -> bool:
        with self.new_unit_of_work() as uow:
            return uow.products.find(sku) is None

    def _rows(self, message_id: object) -> int:
        return sum(1 for stored in self.outbox_ids() if stored == str(message_id))

    def _change_everything(self, uow: Any) -> PriceChanged:
        """Change a stored product, add a new one and record an integration event."""
        (uow.products.get("chair")).restock(5)
        lamp = Product(id="lamp")
        uow.products.add(lamp)
        change = PriceChanged(sku="lamp", price=12)
        lamp.record(change)
        return change

    def _nothing_of(self, change: PriceChanged) -> None:
        """Assert that no state, event or outbox row of `_change_everything` was stored."""
        assert self._stock("chair") == 0, "the change to a stored aggregate was kept"
        assert self._absent("lamp"), "the added aggregate was stored"
        assert self._rows(change.event_id) == 0, "the integration event reached the outbox"

    def test_nothing_is_stored_without_commit_and_an_exception_rolls_back(self) -> None:
        """Leaving without commit, or with an exception, stores nothing."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            (uow.products.get("chair")).restock(5)
        with pytest.raises(RuntimeError):
            with self.new_unit_of_work() as uow:
                (uow.products.get("chair")).restock(7)
                raise RuntimeError
        assert self._stock("chair") == 0

    def test_a_unit_of_work_is_opened_once_and_committed_once(self) -> None:
        """A second commit or a second opening is an error that says what happened."""
        uow = self.new_unit_of_work()
        with pytest.raises(UnitOfWorkError, match="never opened"):
            uow.commit()
        with uow:
            uow.commit()
            with pytest.raises(UnitOfWorkError, match="the first commit succeeded"):
                uow.commit()
        with pytest.raises(UnitOfWorkError, match="already opened"):
            with uow:
                pass

    def test_a_failed_commit_stores_nothing_of_any_repository_and_says_so_on_retry(
        self,
    ) -> None:
        """One stale aggregate fails the whole commit: no repository's change is stored."""
        self._stored("chair", "desk")
        uow = self.new_unit_of_work()
        with uow:
            (uow.products.get("chair")).restock(5)
            uow.archive.add(Product(id="lamp"))
            stale = uow.archive.get("desk")
            with self.new_unit_of_work() as rival:
                (rival.products.get("desk")).restock(1)
                rival.commit()
            stale.restock(9)
            with pytest.raises(ConcurrencyError):
                uow.commit()
            with pytest.raises(UnitOfWorkError, match="the first commit failed"):
                uow.commit()
        with self.new_unit_of_work() as check:
            assert (check.products.get("chair")).stock == 0
            assert check.products.find("lamp") is None
            assert (check.products.get("desk")).stock == 1
        assert uow.collect_events() == []

    def test_events_of_every_touched_aggregate_are_collected_after_commit_in_order(
        self,
    ) -> None:
        """After commit, every touched aggregate's events, per aggregate in recording order."""
        self._stored("chair", "desk")
        with self.new_unit_of_work() as uow:
            (uow.products.get("chair")).restock(1)
            (uow.archive.get("desk")).restock(2)
            (uow.products.get("chair")).restock(3)
            assert uow.collect_events() == [], "nothing before the commit"
            uow.commit()
        assert [(e.sku, e.quantity) for e in uow.collect_events()] == [
            ("chair", 1),
            ("chair", 3),
            ("desk", 2),
        ]
        assert uow.collect_events() == [], "collected once"

    def test_integration_events_are_written_to_the_outbox_in_the_same_commit(
        self,
    ) -> None:
        """An integration event gets an outbox row with its change; a domain event does not."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            product = uow.products.get("chair")
            product.restock(1)
            change = PriceChanged(sku="chair", price=99)
            product.record(change)
            uow.commit()
        stored = self.outbox_ids()
        assert str(change.event_id) in stored
        restocked = [e for e in uow.collect_events() if isinstance(e, Restocked)]
        assert str(restocked[0].event_id) not in stored

    def test_a_failed_commit_writes_no_outbox_message(self) -> None:
        """A commit that loses a concurrency race writes none of its outbox rows."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            stale = uow.products.get("chair")
            with self.new_unit_of_work() as rival:
                (rival.products.get("chair")).restock(1)
                rival.commit()
            change = PriceChanged(sku="chair", price=5)
            stale.record(change)
            with pytest.raises(ConcurrencyError):
                uow.commit()
        assert str(change.event_id) not in self.outbox_ids()

    def test_the_bus_gives_each_command_a_fresh_unit_of_work_and_publishes_after_commit(
        self,
    ) -> None:
        """Each dispatch gets its own unit of work; committed events reach event handlers."""
        self._stored("chair")
        seen: list[Any] = []
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        def restock(command: _Restock, uow: Any) -> int:
            with uow:
                product = uow.products.get(command.sku)
                product.restock(command.quantity)
                uow.commit()
            stock: int = product.stock
            return stock

        @handlers.event(message_type=Restocked)
        def remember(event: Restocked) -> None:
            seen.append(event)

        bus = MessageBus(handlers, unit_of_work=self.new_unit_of_work)
        command = _Restock(sku="chair", quantity=4)
        assert bus.dispatch(command) == 4
        assert bus.dispatch(_Restock(sku="chair", quantity=1)) == 5
        assert [event.quantity for event in seen] == [4, 1]
        assert seen[0].causation_id == command.message_id
        assert seen[0].correlation_id == command.message_id

    def test_a_failing_event_handler_after_commit_says_the_changes_stay_committed(
        self,
    ) -> None:
        """An event handler failing after the commit is reported as such; the change stays."""
        self._stored("chair")
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        def restock(command: _Restock, uow: Any) -> int:
            with uow:
                (uow.products.get(command.sku)).restock(command.quantity)
                uow.commit()
            return 0

        @handlers.event(message_type=Restocked)
        def broken(event: Restocked) -> None:  # noqa: ARG001 - the bus passes it; unused
            msg = "mailer down"
            raise RuntimeError(msg)

        bus = MessageBus(handlers, unit_of_work=self.new_unit_of_work)
        with pytest.raises(EventHandlerError, match=r"committed.*mailer down.*stay committed"):
            bus.dispatch(_Restock(sku="chair", quantity=2))
        assert self._stock("chair") == 2

    def test_leaving_without_commit_stores_no_state_no_event_and_no_outbox_row(
        self,
    ) -> None:
        """Leaving the block without commit rolls back: a fresh unit sees nothing of it."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            change = self._change_everything(uow)
        self._nothing_of(change)
        assert uow.collect_events() == []

    def test_an_exception_in_the_block_rolls_back_and_propagates_unchanged(self) -> None:
        """An exception in the block rolls everything back and reaches the caller as raised."""
        self._stored("chair")
        error = LookupError("boom")
        uow = self.new_unit_of_work()
        changes: list[PriceChanged] = []
        with pytest.raises(LookupError) as raised:
            with uow:
                changes.append(self._change_everything(uow))
                raise error
        assert raised.value is error
        self._nothing_of(changes[0])
        assert uow.collect_events() == []

    def test_a_second_commit_is_refused_and_the_first_commits_data_stays(self) -> None:
        """A second commit raises UnitOfWorkError, stores nothing more, keeps the first intact."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            change = self._change_everything(uow)
            uow.commit()
            (uow.products.get("chair")).restock(100)
            with pytest.raises(UnitOfWorkError, match="the first commit succeeded"):
                uow.commit()
        assert self._stock("chair") == 5
        assert not self._absent("lamp")
        assert self._rows(change.event_id) == 1
        events = uow.collect_events()
        assert [type(event).__name__ for event in events] == ["Restocked", "PriceChanged"]

    def test_entering_an_open_unit_of_work_again_is_refused_and_leaves_it_usable(
        self,
    ) -> None:
        """A nested ``with`` on an open unit raises UnitOfWorkError; the unit still commits."""
        self._stored("chair")
        uow = self.new_unit_of_work()
        with uow:
            (uow.products.get("chair")).restock(3)
            with pytest.raises(UnitOfWorkError, match="already opened"):
                with uow:
                    pass
            uow.commit()
        assert self._stock("chair") == 3

    def test_entering_a_committed_rolled_back_or_failed_unit_of_work_is_refused(
        self,
    ) -> None:
        """A used unit of work cannot be opened again, however its transaction ended."""
        self._stored("chair")
        committed = self.new_unit_of_work()
        with committed:
            committed.commit()
        rolled_back = self.new_unit_of_work()
        with rolled_back:
            pass
        failed = self.new_unit_of_work()
        with failed:
            stale = failed.products.get("chair")
            with self.new_unit_of_work() as rival:
                (rival.products.get("chair")).restock(1)
                rival.commit()
            stale.restock(2)
            with pytest.raises(ConcurrencyError):
                failed.commit()
        for used in (committed, rolled_back, failed):
            with pytest.raises(UnitOfWorkError, match="already opened"):
                with used:
                    pass

    def test_commit_after_an_explicit_rollback_is_refused_and_stores_nothing(
        self,
    ) -> None:
        """After ``rollback()`` in the block, commit raises UnitOfWorkError; nothing is stored."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            change = self._change_everything(uow)
            uow.rollback()
            with pytest.raises(UnitOfWorkError, match="rolled back"):
                uow.commit()
        self._nothing_of(change)
        assert uow.collect_events() == []

    def test_commit_after_leaving_the_block_is_refused_and_stores_nothing(self) -> None:
        """A unit left without commit was rolled back: committing it later is refused."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            change = self._change_everything(uow)
        with pytest.raises(UnitOfWorkError, match="rolled back"):
            uow.commit()
        self._nothing_of(change)

    def test_of_two_units_changing_one_version_exactly_one_commits_and_no_update_is_lost(
        self,
    ) -> None:
        """Two units from the same version: the first commits, the second gets ConcurrencyError."""
        self._stored("chair")
        first = self.new_unit_of_work()
        second = self.new_unit_of_work()
        with first, second:
            (first.products.get("chair")).restock(2)
            (second.products.get("chair")).restock(3)
            first.commit()
            with pytest.raises(ConcurrencyError):
                second.commit()
        assert self._stock("chair") == 2, "the loser's write replaced the winner's"
        with self.new_unit_of_work() as retry:
            (retry.products.get("chair")).restock(3)
            retry.commit()
        assert self._stock("chair") == 5, "an update was lost"
        assert [event.quantity for event in first.collect_events()] == [2]
        assert second.collect_events() == []

    def test_no_event_is_collected_before_commit_or_after_a_rollback(self) -> None:
        """Events recorded in a unit that never commits are never handed out."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            self._change_everything(uow)
            assert uow.collect_events() == [], "events handed out before the commit"
        assert uow.collect_events() == [], "events of a rolled-back unit handed out"

    def test_a_commit_that_loses_a_race_collects_no_event_and_stores_nothing(
        self,
    ) -> None:
        """A ConcurrencyError commit stores no state and no outbox row, and collects no event."""
        self._stored("chair")
        uow = self.new_unit_of_work()
        with uow:
            stale = uow.products.get("chair")
            lamp = Product(id="lamp")
            uow.products.add(lamp)
            change = PriceChanged(sku="lamp", price=3)
            lamp.record(change)
            with self.new_unit_of_work() as rival:
                (rival.products.get("chair")).restock(1)
                rival.commit()
            stale.restock(4)
            with pytest.raises(ConcurrencyError):
                uow.commit()
            assert uow.collect_events() == [], "events of a failed commit handed out"
        assert uow.collect_events() == [], "events of a failed commit handed out"
        assert self._stock("chair") == 1
        assert self._absent("lamp")
        assert self._rows(change.event_id) == 0

    def test_a_failed_commit_leaves_the_unit_unusable(self) -> None:
        """After a failed commit, committing again is refused and still stores nothing."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            stale = uow.products.get("chair")
            with self.new_unit_of_work() as rival:
                (rival.products.get("chair")).restock(1)
                rival.commit()
            stale.restock(4)
            change = PriceChanged(sku="chair", price=8)
            stale.record(change)
            with pytest.raises(ConcurrencyError):
                uow.commit()
            with pytest.raises(UnitOfWorkError, match="the first commit failed"):
                uow.commit()
        with pytest.raises(UnitOfWorkError, match="the first commit failed"):
            uow.commit()
        assert self._stock("chair") == 1
        assert self._rows(change.event_id) == 0
        assert uow.collect_events() == []

    def test_a_committed_integration_event_has_exactly_one_outbox_row_with_its_id(
        self,
    ) -> None:
        """One committed integration event is one outbox row whose message id is the event's."""
        self._stored("chair")
        with self.new_unit_of_work() as uow:
            change = self._change_everything(uow)
            uow.commit()
        assert self._rows(change.event_id) == 1

    def test_outbox_rows_exist_exactly_for_the_units_that_committed(self) -> None:
        """Of units that commit, roll back, raise or lose a race, only committed ones have rows."""
        seed = 20_260_11
        chance = random.Random(seed)  # noqa: S311 - a reproducible schedule, not a secret
        self._stored("chair")
        committed: set[str] = set()
        written: set[str] = set()
        outcomes = ["commit", "leave", "raise", "rollback", "conflict"]
        for trial in range(15):
            outcome = outcomes[trial % len(outcomes)] if trial < 5 else chance.choice(outcomes)
            change = PriceChanged(sku="chair", price=trial)
            written.add(str(change.event_id))
            with pytest.raises(RuntimeError) if outcome == "raise" else contextlib.nullcontext():
                with self.new_unit_of_work() as uow:
                    product = uow.products.get("chair")
                    product.record(change)
                    if outcome == "commit":
                        uow.commit()
                        committed.add(str(change.event_id))
                    elif outcome == "raise":
                        raise RuntimeError(outcome)
                    elif outcome == "rollback":
                        uow.rollback()
                    elif outcome == "conflict":
                        with self.new_unit_of_work() as rival:
                            (rival.products.get("chair")).restock(1)
                            rival.commit()
                        with pytest.raises(ConcurrencyError):
                            uow.commit()
        rows = [stored for stored in self.outbox_ids() if stored in written]
        assert sorted(rows) == sorted(committed), f"seed {seed}: outbox rows != committed units"

    def test_the_bus_publishes_events_only_once_their_change_is_committed(self) -> None:
        """An event handler reading through a fresh unit already sees the committed change."""
        self._stored("chair")
        seen: list[int] = []
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        def restock(command: _Restock, uow: Any) -> int:
            with uow:
                (uow.products.get(command.sku)).restock(command.quantity)
                uow.commit()
            return 0

        @handlers.event(message_type=Restocked)
        def read_back(event: Restocked) -> None:
            seen.append(self._stock(event.sku))

        bus = MessageBus(handlers, unit_of_work=self.new_unit_of_work)
        bus.dispatch(_Restock(sku="chair", quantity=6))
        assert seen == [6]

    def test_the_bus_publishes_no_event_of_a_commit_that_failed(self) -> None:
        """A handler whose commit lost a race and who swallowed the error publishes nothing."""
        self._stored("chair")
        seen: list[Any] = []
        handlers = Handlers()

        @handlers.command(message_type=_Restock)
        def restock(command: _Restock, uow: Any) -> int:
            with uow:
                stale = uow.products.get(command.sku)
                with self.new_unit_of_work() as rival:
                    (rival.products.get(command.sku)).restock(1)
                    rival.commit()
                stale.restock(command.quantity)
                try:
                    uow.commit()
                except ConcurrencyError:
                    return -1
            return 0

        @handlers.event(message_type=Restocked)
        def remember(event: Restocked) -> None:
            seen.append(event)

        bus = MessageBus(handlers, unit_of_work=self.new_unit_of_work)
        assert bus.dispatch(_Restock(sku="chair", quantity=6)) == -1
        assert seen == []
        assert self._stock("chair") == 1
