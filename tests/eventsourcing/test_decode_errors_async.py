"""Stored events that no longer decode name the stream, version, position and event id.

(Async colour; issue 10 item 9.) A payload with a wrong field type or a missing field, an
unknown type name, tampered bytes or a bad schema version make `get` and `get_at` raise the
error callers already catch (`MessageDecodeError`, `UnknownMessageTypeError`, `UpcastError`,
all `SerializationError`s), with ``stream_id``, ``stream_version``, ``position`` and
``event_id`` set and quoted. Rows are tampered with SQL on a SQLite file and PostgreSQL;
on memory the events are appended as raw `NewEvent`s. Both flavours.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from _bank import FLAVOURS, POSTGRES, Rows, bank, postgres_namespace, sqlite_file
from msgspec.structs import replace

from tactica import (
    JsonCodec,
    MessageDecodeError,
    SerializationError,
    TypeRegistry,
    UnknownMessageTypeError,
    UpcastError,
)
from tactica.eventsourcing import AsyncEventSourcedRepository, decode_events
from tactica.ports import RecordedEvent
from tactica.stores.memory import AsyncInMemoryEventStore
from tactica.stores.postgres import AsyncPostgresEventStore
from tactica.stores.sqlite import AsyncSQLiteEventStore

STREAM = "Account-acc-1"

# What the second event of the stream is turned into: (column changes, expected error).
DAMAGE: dict[str, tuple[dict[str, Any], type[SerializationError]]] = {
    "wrong-field-type": ({"payload": {"amount": "five"}}, MessageDecodeError),
    "missing-field": ({"payload": {"amount": None}}, MessageDecodeError),
    "unknown-type": ({"type_name": "tests.hard.vanished"}, UnknownMessageTypeError),
    "tampered-bytes": ({"payload": b'\xff{"amount": 5'}, MessageDecodeError),
    "truncated-json": ({"payload": b'{"event_id": "'}, MessageDecodeError),
    "bad-schema-version": ({"schema_version": 0}, UpcastError),
}


@pytest.fixture(params=FLAVOURS)
def model(request: pytest.FixtureRequest) -> SimpleNamespace:
    return bank(request.param)


def _damaged_row(event: Any, damage: str) -> dict[str, Any]:
    """The columns of `event` stored with `damage`."""
    changes = dict(DAMAGE[damage][0])
    payload: Any = changes.pop("payload", None)
    if payload is None:
        data = JsonCodec().encode(event)
    elif isinstance(payload, bytes):
        data = payload
    else:
        document = json.loads(JsonCodec().encode(event))
        for key, value in payload.items():
            if value is None:
                document.pop(key)
            else:
                document[key] = value
        data = json.dumps(document).encode()
    return {"type_name": "tests.hard.deposited", "schema_version": 1, "payload": data, **changes}


class TamperedStore(AsyncInMemoryEventStore):
    """The memory store, read back with the columns of version 2 replaced by `damage`.

    The memory store refuses such events on append, so they are made on the way out, as
    `RecordedEvent`s a damaged log would hold.
    """

    damage: dict[str, Any] | None = None

    async def read(self, stream_id: str, **options: Any) -> Any:
        events = await super().read(stream_id, **options)
        if self.damage is None:
            return events
        return [
            replace(event, **self.damage) if event.stream_version == 2 else event
            for event in events
        ]


@pytest_asyncio.fixture(params=["memory", "sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A fresh event store, and raw access to its rows (SQL backends)."""
    if request.param == "memory":
        yield SimpleNamespace(store=TamperedStore(), rows=None)
        return
    if request.param == "sqlite":
        path = sqlite_file(tmp_path)
        store = AsyncSQLiteEventStore(path)
        yield SimpleNamespace(store=store, rows=Rows(path=path))
        await store.close()
        return
    with postgres_namespace() as namespace:
        postgres_store = AsyncPostgresEventStore(POSTGRES, namespace=namespace)
        yield SimpleNamespace(store=postgres_store, rows=Rows(namespace=namespace))
        await postgres_store.close()


async def _damaged(backend: Any, model: SimpleNamespace, damage: str) -> UUID:
    """Store an account opened then credited, the credit with `damage`; return its id."""
    account = model.Account.open("acc-1")
    account.deposit(5)
    _, deposited = account.pending_events
    row = _damaged_row(deposited, damage)
    if backend.rows is None:
        backend.store.damage = row
    repository = AsyncEventSourcedRepository(model.Account, backend.store)
    await repository.add(account)
    await repository.commit()
    if backend.rows is not None:
        backend.rows.execute(
            "UPDATE tactica_events SET type_name = ?, payload = ?, schema_version = ? "
            "WHERE stream_id = ? AND stream_version = 2",
            (row["type_name"], row["payload"], row["schema_version"], STREAM),
        )
    event_id: UUID = deposited.event_id
    return event_id


def _names_where(error: SerializationError, event_id: Any, position: int) -> None:
    located: Any = error
    assert located.stream_id == STREAM
    assert located.stream_version == 2
    assert located.position == position
    assert located.event_id == event_id
    message = str(error)
    assert repr(STREAM) in message
    assert "version 2" in message
    assert f"position {position}" in message
    assert str(event_id) in message


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.asyncio
async def test_a_load_names_the_stored_event_that_does_not_decode(
    backend: Any, model: SimpleNamespace, damage: str
) -> None:
    """get and get_at raise the usual error class, located at the damaged event."""
    event_id = await _damaged(backend, model, damage)
    expected = DAMAGE[damage][1]
    position = (await backend.store.read(STREAM))[1].position
    repository = AsyncEventSourcedRepository(model.Account, backend.store)
    with pytest.raises(expected) as caught:
        await repository.get("acc-1")
    _names_where(caught.value, event_id, position)
    with pytest.raises(expected) as caught:
        await repository.get_at("acc-1", 2)
    _names_where(caught.value, event_id, position)
    assert (await repository.get_at("acc-1", 1)).owner == "Ada", "the events before it still load"


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.asyncio
async def test_decode_events_names_the_stored_event_too(
    backend: Any, model: SimpleNamespace, damage: str
) -> None:
    """Reading the stream yourself and decoding it gives the same located error."""
    event_id = await _damaged(backend, model, damage)
    stored = await backend.store.read(STREAM)
    codec = JsonCodec(TypeRegistry([model.Opened, model.Deposited]))
    with pytest.raises(DAMAGE[damage][1]) as caught:
        decode_events(codec, None, stored)
    _names_where(caught.value, event_id, stored[1].position)


@pytest.mark.parametrize(
    "tampered",
    [{"payload": None}, {"payload": 7}, {"type_name": None}, {"type_name": ["x"]}],
    ids=["payload-none", "payload-int", "type-none", "type-list"],
)
def test_hand_made_recorded_events_of_the_wrong_types_give_located_errors(
    model: SimpleNamespace, tampered: dict[str, Any]
) -> None:
    """A RecordedEvent built by hand with impossible columns is refused, typed and located."""
    codec = JsonCodec(TypeRegistry([model.Opened, model.Deposited]))
    event = model.Deposited(amount=1)
    recorded = RecordedEvent(
        stream_id=STREAM,
        stream_version=2,
        position=9,
        type_name="tests.hard.deposited",
        schema_version=1,
        event_id=event.event_id,
        payload=codec.encode(event),
        metadata=b"{}",
        occurred_at=event.occurred_at,
        recorded_at=event.occurred_at,
        correlation_id=None,
        causation_id=None,
    )
    with pytest.raises(SerializationError) as caught:
        decode_events(codec, None, [replace(recorded, **tampered)])
    _names_where(caught.value, event.event_id, 9)


def test_an_error_without_a_stored_event_names_none(model: SimpleNamespace) -> None:
    """Decoding bytes of no stored event keeps the plain message and None attributes."""
    with pytest.raises(MessageDecodeError) as caught:
        JsonCodec().decode(b'{"amount": "x"}', model.Deposited)
    error = caught.value
    assert (error.stream_id, error.stream_version, error.position, error.event_id) == (
        None,
        None,
        None,
        None,
    )
    assert "stream" not in str(error)
