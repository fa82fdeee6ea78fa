"""In-memory repository details beyond the shared contract (async colour)."""

from __future__ import annotations

import re

import pytest

from tactica import AsyncInMemoryRepository, ConcurrencyError, InMemoryDatabase
from tactica.testing import Account, AccountId


async def _stored(database: InMemoryDatabase) -> AccountId:
    repository = AsyncInMemoryRepository[Account, AccountId](Account, database)
    account = Account(owner="Ada")
    await repository.add(account)
    await repository.commit()
    return account.id


@pytest.mark.asyncio
async def test_a_deleted_aggregate_stays_seen_with_its_events_until_commit() -> None:
    """Events recorded just before a delete must still reach whoever collects them."""
    database = InMemoryDatabase()
    account_id = await _stored(database)
    repository = AsyncInMemoryRepository[Account, AccountId](Account, database)
    account = await repository.get(account_id)
    account.deposit(5)
    await repository.delete(account)
    assert repository.seen == (account,)
    assert len(account.pending_events) == 1
    await repository.commit()
    assert repository.seen == ()


@pytest.mark.asyncio
async def test_an_aggregate_added_and_deleted_in_one_session_is_seen_but_never_written() -> None:
    """Nothing to write, but its events are still there to collect."""
    database = InMemoryDatabase()
    repository = AsyncInMemoryRepository[Account, AccountId](Account, database)
    account = Account(owner="Ada")
    account.deposit(1)
    await repository.add(account)
    await repository.delete(account)
    assert repository.seen == (account,)
    assert repository.changes() == []
    await repository.commit()
    fresh = AsyncInMemoryRepository[Account, AccountId](Account, database)
    assert await fresh.find(account.id) is None


@pytest.mark.asyncio
async def test_a_conflict_names_the_aggregate_type_as_written_in_the_code() -> None:
    """Messages use the class name, not the internal table key."""
    database = InMemoryDatabase()
    account_id = await _stored(database)
    first = AsyncInMemoryRepository[Account, AccountId](Account, database)
    second = AsyncInMemoryRepository[Account, AccountId](Account, database)
    (await first.get(account_id)).deposit(1)
    (await second.get(account_id)).deposit(2)
    await first.commit()
    with pytest.raises(
        ConcurrencyError, match=rf"^Account {re.escape(repr(account_id))} was changed"
    ):
        await second.commit()
