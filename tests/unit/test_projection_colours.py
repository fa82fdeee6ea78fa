"""Projection handlers of the wrong colour are refused when their runner or unit is built.

A sync runner or unit of work cannot await an ``async def`` handler. An async one hands
its handlers a transaction whose ``get``/``put``/``delete``/``documents`` are coroutines: a
plain function calling ``tx.put(...)`` never runs the write, which used to vanish with a
RuntimeWarning only. Both are refused with a `HandlerColourError` (a `ConfigurationError`
and a `TypeError`) naming the projection, the handler and the fix, on every backend, in
both colours, before a connection opens. Written by hand, not generated: each colour's
test needs a handler of the other colour.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tactica import ConfigurationError, HandlerColourError, TacticaError
from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.projections import (
    AsyncProjectionRunner,
    Projection,
    ProjectionRunner,
    handles,
    projection,
)
from tactica.stores._sql._unit_async import async_checked_inline
from tactica.stores._sql._unit_sync import checked_inline
from tactica.stores.memory import AsyncInMemoryEventStore, InMemoryEventStore
from tactica.stores.postgres import (
    AsyncPostgresEventStore,
    AsyncPostgresUnitOfWork,
    PostgresEventStore,
    PostgresUnitOfWork,
)
from tactica.stores.sqlalchemy import (
    AsyncSQLAlchemyEventStore,
    AsyncSQLAlchemyUnitOfWork,
    SQLAlchemyEventStore,
    SQLAlchemyUnitOfWork,
    async_sqlite_engine,
    sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import async_sessionmaker, sessionmaker
from tactica.stores.sqlite import (
    AsyncSQLiteEventStore,
    AsyncSQLiteUnitOfWork,
    SQLiteEventStore,
    SQLiteUnitOfWork,
)
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


class Opened(DomainEvent, name="tests.colours.opened"):
    owner: str


class Closed(DomainEvent, name="tests.colours.closed"):
    owner: str


class Moved(DomainEvent, name="tests.colours.moved"):
    owner: str


CODEC = JsonCodec(TypeRegistry([Opened, Closed, Moved]))


class PlainDirectory(Projection):
    """Right for sync hosts; on an async one its ``tx.put`` would never be awaited."""

    name = "directory"

    @handles
    def opened(self, event: Opened, tx: Any) -> None:
        tx.put("owners", event.owner, {"open": True})


class CoroutineDirectory(Projection):
    """Right for async hosts; a sync one cannot await it."""

    name = "directory"

    @handles
    async def opened(self, event: Opened, tx: Any) -> None:
        await tx.put("owners", event.owner, {"open": True})


SYNC_ADVICE = (
    r"handler CoroutineDirectory\.opened is an async def.*use (AsyncProjectionRunner|an async unit)"
)
ASYNC_ADVICE = (
    r"handler PlainDirectory\.opened is not an async def.*writes would never run"
    r".*await tx\.put.*or use (ProjectionRunner|a sync unit)"
)

# Each factory builds a unit of work of one backend and colour with `inline`, from a
# directory that holds nothing: a unit that opened its connection first would fail there
# with a driver error instead of the colour refusal.
UnitFactory = Callable[[Path, list[Any]], Any]


def _sqlite(path: Path, inline: list[Any]) -> Any:
    return SQLiteUnitOfWork(path / "missing" / "bank.db", inline=inline)


def _async_sqlite(path: Path, inline: list[Any]) -> Any:
    return AsyncSQLiteUnitOfWork(path / "missing" / "bank.db", inline=inline)


def _postgres(path: Path, inline: list[Any]) -> Any:
    return PostgresUnitOfWork(POSTGRES, inline=inline)


def _async_postgres(path: Path, inline: list[Any]) -> Any:
    return AsyncPostgresUnitOfWork(POSTGRES, inline=inline)


def _sqlalchemy(path: Path, inline: list[Any]) -> Any:
    return SQLAlchemyUnitOfWork(sessionmaker(sqlite_engine(path / "bank.db")), inline=inline)


def _async_sqlalchemy(path: Path, inline: list[Any]) -> Any:
    engine = async_sqlite_engine(path / "bank.db")
    return AsyncSQLAlchemyUnitOfWork(async_sessionmaker(engine), inline=inline)


SYNC_UNITS = {"sqlite": _sqlite, "postgres": _postgres, "sqlalchemy": _sqlalchemy}
ASYNC_UNITS = {
    "sqlite": _async_sqlite,
    "postgres": _async_postgres,
    "sqlalchemy": _async_sqlalchemy,
}


@pytest.mark.parametrize("backend", list(ASYNC_UNITS))
def test_an_async_unit_of_work_refuses_a_plain_inline_handler(backend: str, tmp_path: Path) -> None:
    """An async unit of work refuses plain-def inline handlers, naming them and the fix."""
    with pytest.raises(HandlerColourError, match=ASYNC_ADVICE) as raised:
        ASYNC_UNITS[backend](tmp_path, [PlainDirectory()])
    assert isinstance(raised.value, ConfigurationError)
    assert isinstance(raised.value, TypeError)
    assert "'directory'" in str(raised.value)
    assert "a sync unit of work" in str(raised.value)


@pytest.mark.parametrize("backend", list(SYNC_UNITS))
def test_a_sync_unit_of_work_refuses_an_async_inline_handler(backend: str, tmp_path: Path) -> None:
    """A sync unit of work refuses async-def inline handlers, naming them and the fix."""
    with pytest.raises(HandlerColourError, match=SYNC_ADVICE) as raised:
        SYNC_UNITS[backend](tmp_path, [CoroutineDirectory()])
    assert "an async unit of work" in str(raised.value)


@pytest.mark.parametrize("backend", list(SYNC_UNITS))
def test_a_sync_unit_of_work_takes_plain_inline_handlers(backend: str, tmp_path: Path) -> None:
    """The right colour is accepted by the sync unit of every backend."""
    if backend == "postgres":
        require_service("PostgreSQL", "127.0.0.1", 5432)
    (tmp_path / "missing").mkdir()
    with SYNC_UNITS[backend](tmp_path, [PlainDirectory()]):
        pass


@pytest.mark.parametrize("backend", list(ASYNC_UNITS))
@pytest.mark.asyncio
async def test_an_async_unit_of_work_takes_async_inline_handlers(
    backend: str, tmp_path: Path
) -> None:
    """The right colour is accepted by the async unit of every backend."""
    if backend == "postgres":
        require_service("PostgreSQL", "127.0.0.1", 5432)
    (tmp_path / "missing").mkdir()
    async with ASYNC_UNITS[backend](tmp_path, [CoroutineDirectory()]):
        pass


@pytest.fixture(params=["memory", "sqlite", "postgres", "sqlalchemy"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """A sync and an async event store of one backend (nothing is written to them)."""
    if request.param == "memory":
        pair: tuple[Any, Any] = (InMemoryEventStore(), AsyncInMemoryEventStore())
    elif request.param == "sqlite":
        pair = (SQLiteEventStore(tmp_path / "s.db"), AsyncSQLiteEventStore(tmp_path / "a.db"))
    elif request.param == "postgres":
        require_service("PostgreSQL", "127.0.0.1", 5432)
        pair = (PostgresEventStore(POSTGRES), AsyncPostgresEventStore(POSTGRES))
    else:
        pair = (
            SQLAlchemyEventStore(sessionmaker(sqlite_engine(tmp_path / "s.db"))),
            AsyncSQLAlchemyEventStore(async_sessionmaker(async_sqlite_engine(tmp_path / "a.db"))),
        )
    yield pair
    sync_store, async_store = pair
    if hasattr(sync_store, "close"):  # the SQL stores own connections; the others do not
        sync_store.close()
    if hasattr(async_store, "close"):
        asyncio.run(async_store.close())


def test_an_async_runner_refuses_a_plain_handler(stores: tuple[Any, Any]) -> None:
    """AsyncProjectionRunner refuses a plain-def handler whose tx.put would never run."""
    _, async_store = stores
    with pytest.raises(HandlerColourError, match=ASYNC_ADVICE):
        AsyncProjectionRunner(async_store, PlainDirectory(), codec=CODEC)
    AsyncProjectionRunner(async_store, CoroutineDirectory(), codec=CODEC)


def test_a_sync_runner_refuses_an_async_handler(stores: tuple[Any, Any]) -> None:
    """ProjectionRunner refuses an async-def handler it could not await."""
    sync_store, _ = stores
    with pytest.raises(HandlerColourError, match=SYNC_ADVICE):
        ProjectionRunner(sync_store, CoroutineDirectory(), codec=CODEC)
    ProjectionRunner(sync_store, PlainDirectory(), codec=CODEC)


# Handler shapes for the property test: (name, is it async, make one for an event class).


def _plain(event: Any, tx: Any) -> None:
    tx.put("owners", "k", 1)


async def _coroutine(event: Any, tx: Any) -> None:
    await tx.put("owners", "k", 1)


async def _async_generator(event: Any, tx: Any) -> Any:
    yield await tx.put("owners", "k", 1)


_lambda: Callable[[Any, Any], object] = lambda event, tx: tx.put("owners", "k", 1)  # noqa: E731


class _Handlers:
    def method(self, event: Any, tx: Any) -> None:
        tx.put("owners", "k", 1)

    async def async_method(self, event: Any, tx: Any) -> None:
        await tx.put("owners", "k", 1)


class _AsyncCallable:
    async def __call__(self, event: Any, tx: Any) -> None:
        await tx.put("owners", "k", 1)


class _PlainCallable:
    def __call__(self, event: Any, tx: Any) -> None:
        tx.put("owners", "k", 1)


Colour = str
"""Which hosts a handler shape suits: "sync", "async", or "neither" (an async generator)."""

SHAPES: list[tuple[str, Colour, Callable[[], Any]]] = [
    ("plain function", "sync", lambda: _plain),
    ("lambda", "sync", lambda: _lambda),
    ("bound method", "sync", lambda: _Handlers().method),
    ("callable object", "sync", _PlainCallable),
    ("partial of a plain function", "sync", lambda: functools.partial(_plain)),
    ("async function", "async", lambda: _coroutine),
    ("async bound method", "async", lambda: _Handlers().async_method),
    ("async callable object", "async", _AsyncCallable),
    ("partial of an async function", "async", lambda: functools.partial(_coroutine)),
    ("async generator function", "neither", lambda: _async_generator),
]


@settings(max_examples=80, deadline=None)
@given(
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3),
    host=st.sampled_from(["runner", "unit of work"]),
    awaits=st.booleans(),
)
def test_any_handler_of_the_other_colour_is_refused_and_named(
    shapes: list[tuple[str, Colour, Callable[[], Any]]], host: str, awaits: bool
) -> None:
    """Any mix of handler shapes is taken iff all suit the host; else the first is named."""
    declared = projection("mixed")
    handlers = [make() for _, _, make in shapes]
    for event_type, handler in zip([Opened, Closed, Moved], handlers, strict=False):
        declared.handles(event_type)(handler)
    suits = "async" if awaits else "sync"
    wrong = [h for (_, colour, _), h in zip(shapes, handlers, strict=True) if colour != suits]

    def construct() -> object:
        # In-memory stores open nothing when built.
        if host == "runner" and awaits:
            return AsyncProjectionRunner(AsyncInMemoryEventStore(), declared, codec=CODEC)
        if host == "runner":
            return ProjectionRunner(InMemoryEventStore(), declared, codec=CODEC)
        # What every unit of work checks its inline projections with, before connecting.
        return (async_checked_inline if awaits else checked_inline)([declared])

    if not wrong:
        assert construct() is not None
        return
    with pytest.raises(HandlerColourError) as refused:
        construct()
    assert isinstance(refused.value, TacticaError)
    name = getattr(wrong[0], "__qualname__", None) or repr(wrong[0])
    assert f"handler {name} " in str(refused.value)
    assert "'mixed'" in str(refused.value)
