"""Checked by mypy --strict: every backend's unit of work is accepted where the port is asked."""

from __future__ import annotations

from pathlib import Path

from tactica import InMemoryDatabase
from tactica.eventsourcing import AsyncEventSourcedUnitOfWork, EventSourcedUnitOfWork
from tactica.ports import AsyncUnitOfWork, UnitOfWork
from tactica.stores.memory import (
    AsyncInMemoryEventStore,
    AsyncInMemoryUnitOfWork,
    InMemoryEventStore,
    InMemoryUnitOfWork,
)
from tactica.stores.sqlite import SQLiteUnitOfWork


def handled_by(uow: UnitOfWork) -> UnitOfWork:
    return uow


def handled_by_async(uow: AsyncUnitOfWork) -> AsyncUnitOfWork:
    return uow


def test_sync_units_of_work_are_the_sync_port(tmp_path: Path) -> None:
    sqlite_unit = SQLiteUnitOfWork(tmp_path / "units.db")
    units: list[UnitOfWork] = [
        handled_by(InMemoryUnitOfWork(InMemoryDatabase())),
        handled_by(sqlite_unit),
        handled_by(EventSourcedUnitOfWork(InMemoryEventStore())),
    ]
    assert all(isinstance(unit, UnitOfWork) for unit in units)
    sqlite_unit.connection.close()


def test_async_units_of_work_are_the_async_port() -> None:
    units: list[AsyncUnitOfWork] = [
        handled_by_async(AsyncInMemoryUnitOfWork(InMemoryDatabase())),
        handled_by_async(AsyncEventSourcedUnitOfWork(AsyncInMemoryEventStore())),
    ]
    assert all(isinstance(unit, AsyncUnitOfWork) for unit in units)
    assert not any(isinstance(unit, UnitOfWork) for unit in units)
