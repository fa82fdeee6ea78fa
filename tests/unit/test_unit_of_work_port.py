"""Every unit of work of every backend satisfies the unit-of-work port of its colour."""

from __future__ import annotations

import importlib
from typing import Self

import pytest

from tactica.ports import AsyncUnitOfWork, UnitOfWork

UNITS = [
    ("tactica.stores.memory", "InMemoryUnitOfWork"),
    ("tactica.stores.sqlite", "SQLiteUnitOfWork"),
    ("tactica.stores.sql", "SQLUnitOfWork"),
    ("tactica.stores.postgres", "PostgresUnitOfWork"),
    ("tactica.stores.sqlalchemy", "SQLAlchemyUnitOfWork"),
    ("tactica.eventsourcing", "EventSourcedUnitOfWork"),
]


@pytest.mark.parametrize(("module", "name"), UNITS)
def test_each_unit_of_work_class_has_every_method_of_its_port(module: str, name: str) -> None:
    package = importlib.import_module(module)
    for port, prefix, opening in ((UnitOfWork, "", "__"), (AsyncUnitOfWork, "Async", "__a")):
        unit = getattr(package, prefix + name)
        members = {f"{opening}enter__", f"{opening}exit__", "commit", "rollback", "collect_events"}
        assert members <= set(vars(port))
        assert {member for member in members if not callable(getattr(unit, member, None))} == set()


def test_a_class_missing_a_method_does_not_satisfy_the_port() -> None:
    class NoCommit:
        def __enter__(self) -> Self:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def rollback(self) -> None:
            return None

        def collect_events(self) -> list[object]:
            return []

    assert not isinstance(NoCommit(), UnitOfWork)
