"""Names that moved to their backend's package still import from the old path, with a warning."""

from __future__ import annotations

import importlib

import pytest

MOVED = [
    ("tactica.uow", "InMemoryUnitOfWork", "tactica.stores.memory"),
    ("tactica.uow", "AsyncInMemoryUnitOfWork", "tactica.stores.memory"),
    ("tactica.uow", "SQLiteUnitOfWork", "tactica.stores.sqlite"),
    ("tactica.uow", "AsyncSQLiteUnitOfWork", "tactica.stores.sqlite"),
    ("tactica.uow", "SQLUnitOfWork", "tactica.stores.sql"),
    ("tactica.uow", "AsyncSQLUnitOfWork", "tactica.stores.sql"),
    ("tactica.eventsourcing", "SQLEventSourcedRepository", "tactica.stores.sql"),
    ("tactica.eventsourcing", "AsyncSQLEventSourcedRepository", "tactica.stores.sql"),
]


@pytest.mark.parametrize(("old", "name", "home"), MOVED)
def test_the_old_path_gives_the_same_class_and_names_the_new_one(
    old: str, name: str, home: str
) -> None:
    with pytest.warns(DeprecationWarning, match=f"{old}.{name} moved to {home}.{name}"):
        moved = getattr(importlib.import_module(old), name)
    assert moved is getattr(importlib.import_module(home), name)


@pytest.mark.parametrize("old", ["tactica.uow", "tactica.eventsourcing"])
def test_an_unknown_name_is_still_an_attribute_error(old: str) -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        _ = importlib.import_module(old).Nothing


def test_the_top_level_package_loads_a_name_on_first_use() -> None:
    import tactica

    assert "InMemoryDatabase" in dir(tactica)
    assert (
        tactica.InMemoryDatabase
        is importlib.import_module("tactica.stores.memory").InMemoryDatabase
    )
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        _ = tactica.Nothing
