# Generated from test_memory_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""In-memory repository details beyond the shared contract (sync colour)."""

from __future__ import annotations

import re

import pytest

from tactica import InMemoryRepository, ConcurrencyError, InMemoryDatabase
from tactica.testing import Account, AccountId


def _stored(database: InMemoryDatabase) -> AccountId:
    repository = InMemoryRepository[Account, AccountId](Account, database)
    account = Account(owner="Ada")
    repository.add(account)
    repository.commit()
    return account.id


def test_a_deleted_aggregate_stays_seen_with_its_events_until_commit() -> None:
    """Events recorded just before a delete must still reach whoever collects them."""
    database = InMemoryDatabase()
    account_id = _stored(database)
    repository = InMemoryRepository[Account, AccountId](Account, database)
    account = repository.get(account_id)
    account.deposit(5)
    repository.delete(account)
    assert repository.seen == (account,)
    assert len(account.pending_events) == 1
    repository.commit()
    assert repository.seen == ()


def test_an_aggregate_added_and_deleted_in_one_session_is_seen_but_never_written() -> None:
    """Nothing to write, but its events are still there to collect."""
    database = InMemoryDatabase()
    repository = InMemoryRepository[Account, AccountId](Account, database)
    account = Account(owner="Ada")
    account.deposit(1)
    repository.add(account)
    repository.delete(account)
    assert repository.seen == (account,)
    assert repository.changes() == []
    repository.commit()
    fresh = InMemoryRepository[Account, AccountId](Account, database)
    assert fresh.find(account.id) is None


def test_a_conflict_names_the_aggregate_type_as_written_in_the_code() -> None:
    """Messages use the class name, not the internal table key."""
    database = InMemoryDatabase()
    account_id = _stored(database)
    first = InMemoryRepository[Account, AccountId](Account, database)
    second = InMemoryRepository[Account, AccountId](Account, database)
    (first.get(account_id)).deposit(1)
    (second.get(account_id)).deposit(2)
    first.commit()
    with pytest.raises(
        ConcurrencyError, match=rf"^Account {re.escape(repr(account_id))} was changed"
    ):
        second.commit()
