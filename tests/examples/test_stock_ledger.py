"""The level-4 part of the reference application: the event-sourced stock ledger."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tactica import uuid7
from tactica.errors import ConflictRetriesExhaustedError, WrongExpectedVersionError
from tactica.eventsourcing import EventSourcedRepository
from tactica.messaging import RetryOnConflict
from tactica.outbox import OutboxMessage
from tactica.ports import ANY, AppendResult, NewEvent, StreamAppend
from tactica.stores.memory import InMemoryEventStore
from tactica.stores.sqlite import SQLiteEventStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # The reference application is not installed: it is imported from the repository root.
    monkeypatch.syspath_prepend(str(REPO))
    from examples.allocation import stock_ledger

    return stock_ledger


def test_a_ledger_changes_only_through_its_events_and_replays_to_the_same_state(
    ledger: ModuleType,
) -> None:
    """Commands check the rules and apply events; a refused one records nothing."""
    lamp = ledger.StockLedger.start("LAMP")
    lamp.receive("ship-1", 10)
    lamp.reserve("order-a", 4)
    with pytest.raises(ledger.NotEnoughStock, match="7 asked, 6 available"):
        lamp.reserve("order-b", 7)
    lamp.release("order-a")
    lamp.write_off(1, "damaged")
    assert (lamp.on_hand, lamp.available, lamp.version) == (9, 9, 4)
    events = lamp.pull_events()
    assert [type(event).__name__ for event in events] == [
        "StockReceived",
        "StockReserved",
        "ReservationReleased",
        "StockWrittenOff",
    ]
    replayed = ledger.StockLedger.replay("LAMP", events)
    assert ledger.codec.encode(replayed) == ledger.codec.encode(lamp)


def test_a_stock_received_event_of_the_previous_release_is_upcast_on_load(
    ledger: ModuleType,
) -> None:
    """Schema v1 stored `units` and no batch; it loads as v2 with batch 'unknown'."""
    ledger.upcasters.validate(ledger.codec.registry)
    store = InMemoryEventStore()
    event_id = uuid7()
    document = {"event_id": str(event_id), "occurred_at": "2025-11-03T09:00:00Z"}
    payload = json.dumps({**document, "sku": "DESK", "units": 12}).encode()
    stored = NewEvent(
        "allocation.stock-received", payload, event_id, datetime.now(UTC), schema_version=1
    )
    store.append("StockLedger-DESK", [stored])
    repository = EventSourcedRepository[Any, str](
        ledger.StockLedger, store, codec=ledger.codec, upcasters=ledger.upcasters
    )
    assert repository.get("DESK").on_hand == 12


class Interloper(SQLiteEventStore):
    """Lets a rival reserve stock just before the first `times` commits of a unit of work."""

    def __init__(self, path: Path, times: int) -> None:
        super().__init__(path)
        self.times = times
        self.commits = 0

    def commit(
        self,
        appends: Sequence[StreamAppend],
        *,
        outbox: Sequence[OutboxMessage] = (),
        checkpoint: tuple[str, int] | None = None,
    ) -> list[AppendResult]:
        self.commits += 1
        if self.times and appends:
            self.times -= 1
            from examples.allocation import stock_ledger

            rival = stock_ledger.StockReserved(sku="LAMP", order_id="rival", qty=1)
            payload = stock_ledger.codec.encode(rival)
            event = NewEvent(
                "allocation.stock-reserved", payload, rival.event_id, rival.occurred_at
            )
            super().commit([StreamAppend(appends[0].stream_id, [event], ANY)])
        return super().commit(appends, outbox=outbox, checkpoint=checkpoint)


def test_a_command_that_loses_a_race_is_run_again_by_the_bus(
    ledger: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RetryOnConflict reruns the handler on a fresh load; the rival's event is kept."""
    path = tmp_path / "ledger.db"
    ledger.create_tables(path)
    store = Interloper(path, times=0)
    bus = ledger.bootstrap_ledger(store)
    bus.dispatch(ledger.ReceiveStock(sku="LAMP", batch_ref="ship-1", qty=10))
    store.times = 2
    available = bus.dispatch(ledger.ReserveStock(order_id="order-a", sku="LAMP", qty=3))
    assert available == 5, "10 received, 2 reserved by the rival, 3 by this command"
    assert store.commits == 4, "one receive, then three attempts of the reservation"
    orders = [json.loads(e.payload).get("order_id") for e in store.read("StockLedger-LAMP")]
    assert orders == [None, "rival", "rival", "order-a"]
    # Three attempts without waits, so that three rivals exhaust them quickly.
    impatient = functools.partial(RetryOnConflict, attempts=3, random=lambda: 0.0)
    monkeypatch.setattr(ledger, "RetryOnConflict", impatient)
    bus = ledger.bootstrap_ledger(store)
    store.times = 3
    with pytest.raises(ConflictRetriesExhaustedError, match="'StockLedger-LAMP'") as raised:
        bus.dispatch(ledger.ReserveStock(order_id="order-b", sku="LAMP", qty=1))
    assert isinstance(raised.value.__cause__, WrongExpectedVersionError)
    assert store.stream_version("StockLedger-LAMP") == 7, "three rivals, no order-b"
    store.close()
