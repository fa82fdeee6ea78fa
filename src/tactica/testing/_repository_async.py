"""The repository conformance contract (async colour).

Subclass `AsyncRepositoryContract` in a test module and implement `new_repository` and
`commit`; pytest then runs every behaviour a repository must have against your backend.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tactica.errors import AggregateAlreadyExistsError, AggregateNotFoundError, ConcurrencyError
from tactica.testing._concurrency import AsyncBarrier, async_run_all
from tactica.testing._sample import Account, Card

__all__ = ["AsyncRepositoryContract"]


class AsyncRepositoryContract:
    """Behaviours every repository backend shares, as pytest tests.

    Hooks:
        `new_repository` returns a repository of `account_type` that starts a new session
        on the backend's shared storage (as a new unit of work would); `commit` stores that
        repository's changes. Set up fresh storage per test in ``setup_method``.

    ``account_type`` may be replaced by an equivalent aggregate (same fields and methods) to
    run the contract with another model flavour.
    """

    account_type: ClassVar[type[Any]] = Account
    card_type: ClassVar[type[Any]] = Card
    concurrent_workers: ClassVar[int] = 4
    concurrent_rounds: ClassVar[int] = 10

    def new_repository(self) -> Any:
        """Return a repository of `account_type` in a new session on the shared storage."""
        raise NotImplementedError

    async def commit(self, repository: Any) -> None:
        """Store the changes tracked by `repository`, atomically."""
        raise NotImplementedError

    async def _stored(self, owner: str = "Ada", **fields: Any) -> Any:
        repository = self.new_repository()
        account = self.account_type(owner=owner, **fields)
        await repository.add(account)
        await self.commit(repository)
        return account.id

    @pytest.mark.asyncio
    async def test_an_added_aggregate_is_readable_from_another_session(self) -> None:
        """An added and committed aggregate loads, equal in state, in a new session."""
        account_id = await self._stored(balance=7)
        loaded = await self.new_repository().get(account_id)
        assert (loaded.id, loaded.owner, loaded.balance) == (account_id, "Ada", 7)
        assert loaded.version == 1

    @pytest.mark.asyncio
    async def test_get_raises_and_find_returns_none_for_an_unknown_id(self) -> None:
        """A missing aggregate is an error for get and None for find."""
        unknown = self.account_type(owner="nobody").id
        repository = self.new_repository()
        with pytest.raises(AggregateNotFoundError, match=str(unknown)):
            await repository.get(unknown)
        assert await repository.find(unknown) is None

    @pytest.mark.asyncio
    async def test_one_session_hands_out_one_instance_per_id(self) -> None:
        """Within a session the same id yields the same object (an identity map)."""
        account_id = await self._stored()
        repository = self.new_repository()
        assert await repository.get(account_id) is await repository.get(account_id)

    @pytest.mark.asyncio
    async def test_sessions_never_share_objects(self) -> None:
        """Two sessions get distinct copies; changing one copy changes nothing stored."""
        account_id = await self._stored(balance=1)
        first = await self.new_repository().get(account_id)
        second = await self.new_repository().get(account_id)
        assert first is not second
        first.balance = 1000
        assert second.balance == 1
        assert (await self.new_repository().get(account_id)).balance == 1

    @pytest.mark.asyncio
    async def test_changing_a_nested_part_of_a_loaded_copy_changes_nothing_stored(self) -> None:
        """Copies are deep: a nested list or entity of a loaded aggregate is its own too."""
        account_id = await self._stored(cards=[self.card_type(id="card-1")])
        copy = await self.new_repository().get(account_id)
        copy.cards[0].blocked = True
        copy.cards.append(self.card_type(id="card-2"))
        stored = await self.new_repository().get(account_id)
        assert [(card.id, card.blocked) for card in stored.cards] == [("card-1", False)]

    @pytest.mark.asyncio
    async def test_changing_an_added_aggregate_after_commit_changes_nothing_stored(self) -> None:
        """What a commit stored is a snapshot: later changes count only when committed."""
        repository = self.new_repository()
        account = self.account_type(owner="Ada", cards=[self.card_type(id="card-1")])
        await repository.add(account)
        await self.commit(repository)
        account.cards[0].blocked = True
        account.balance = 500
        stored = await self.new_repository().get(account.id)
        assert (stored.balance, stored.cards[0].blocked) == (0, False)

    @pytest.mark.asyncio
    async def test_a_change_made_after_a_commit_is_written_by_the_next_commit(self) -> None:
        """Aggregates stay tracked after a commit, so nothing changed later is lost."""
        account_id = await self._stored()
        repository = self.new_repository()
        account = await repository.get(account_id)
        account.deposit(1)
        await self.commit(repository)
        account.deposit(5)
        await self.commit(repository)
        stored = await self.new_repository().get(account_id)
        assert (stored.balance, stored.version) == (6, 3)
        assert account.version == 3

    @pytest.mark.asyncio
    async def test_pulling_events_after_a_commit_is_not_a_change(self) -> None:
        """Taking the recorded events away writes nothing and bumps no version."""
        account_id = await self._stored()
        repository = self.new_repository()
        account = await repository.get(account_id)
        account.deposit(1)
        await self.commit(repository)
        assert len(account.pull_events()) == 1
        await self.commit(repository)
        assert (await self.new_repository().get(account_id)).version == 2

    @pytest.mark.asyncio
    async def test_recording_an_event_without_changing_a_field_is_a_change(self) -> None:
        """An event is something that happened: the aggregate is written and version-checked."""
        account_id = await self._stored()
        repository = self.new_repository()
        account = await repository.get(account_id)
        account.deposit(0)
        await self.commit(repository)
        assert (await self.new_repository().get(account_id)).version == 2

    @pytest.mark.asyncio
    async def test_the_expected_version_is_the_one_read_not_the_aggregates_attribute(
        self,
    ) -> None:
        """Editing `version` on a stale copy cannot smuggle a write past the check."""
        account_id = await self._stored()
        winner, loser = self.new_repository(), self.new_repository()
        (await winner.get(account_id)).deposit(10)
        stale = await loser.get(account_id)
        await self.commit(winner)
        stale.deposit(99)
        stale.version += 1
        with pytest.raises(ConcurrencyError):
            await self.commit(loser)
        assert (await self.new_repository().get(account_id)).balance == 10

    @pytest.mark.asyncio
    async def test_deleting_what_was_never_stored_is_not_found(self) -> None:
        """Deleting an aggregate no one stored is AggregateNotFoundError, not a conflict."""
        repository = self.new_repository()
        await repository.delete(self.account_type(owner="Ghost"))
        with pytest.raises(AggregateNotFoundError):
            await self.commit(repository)

    @pytest.mark.asyncio
    async def test_a_committed_change_is_stored_and_bumps_the_version(self) -> None:
        """Each committed change raises the version by one and is visible afterwards."""
        account_id = await self._stored()
        for expected_version in (2, 3):
            repository = self.new_repository()
            account = await repository.get(account_id)
            account.deposit(5)
            await self.commit(repository)
            assert account.version == expected_version
        stored = await self.new_repository().get(account_id)
        assert (stored.balance, stored.version) == (10, 3)

    @pytest.mark.asyncio
    async def test_a_change_to_a_nested_entity_is_stored(self) -> None:
        """Changing a nested entity counts as a change of the aggregate."""
        account_id = await self._stored(cards=[self.card_type(id="card-1")])
        repository = self.new_repository()
        account = await repository.get(account_id)
        account.cards[0].blocked = True
        await self.commit(repository)
        stored = await self.new_repository().get(account_id)
        assert stored.cards[0].blocked is True
        assert stored.version == 2

    @pytest.mark.asyncio
    async def test_an_unchanged_aggregate_is_not_written(self) -> None:
        """Loading without changing neither bumps the version nor conflicts."""
        account_id = await self._stored()
        reader = self.new_repository()
        await reader.get(account_id)
        writer = self.new_repository()
        (await writer.get(account_id)).deposit(1)
        await self.commit(writer)
        await self.commit(reader)
        assert (await self.new_repository().get(account_id)).version == 2

    @pytest.mark.asyncio
    async def test_a_stale_copy_cannot_overwrite_a_newer_version(self) -> None:
        """The second writer from the same version gets ConcurrencyError; the first wins."""
        account_id = await self._stored()
        winner, loser = self.new_repository(), self.new_repository()
        (await winner.get(account_id)).deposit(10)
        (await loser.get(account_id)).deposit(99)
        await self.commit(winner)
        with pytest.raises(ConcurrencyError):
            await self.commit(loser)
        stored = await self.new_repository().get(account_id)
        assert (stored.balance, stored.version) == (10, 2)

    @pytest.mark.asyncio
    async def test_a_conflict_writes_nothing_of_the_whole_commit(self) -> None:
        """A commit touching two aggregates, one of them stale, stores neither change."""
        fresh_id = await self._stored(owner="Fresh")
        stale_id = await self._stored(owner="Stale")
        interloper = self.new_repository()
        (await interloper.get(stale_id)).deposit(1)
        repository = self.new_repository()
        (await repository.get(fresh_id)).deposit(50)
        (await repository.get(stale_id)).deposit(50)
        await self.commit(interloper)
        with pytest.raises(ConcurrencyError):
            await self.commit(repository)
        check = self.new_repository()
        assert (await check.get(fresh_id)).balance == 0
        assert (await check.get(stale_id)).balance == 1

    @pytest.mark.asyncio
    async def test_adding_an_existing_id_fails_by_commit(self) -> None:
        """Inserting an id that is already stored raises AggregateAlreadyExistsError."""
        account_id = await self._stored()
        repository = self.new_repository()
        with pytest.raises(AggregateAlreadyExistsError):
            await repository.add(self.account_type(id=account_id, owner="Impostor"))
            await self.commit(repository)
        assert (await self.new_repository().get(account_id)).owner == "Ada"

    @pytest.mark.asyncio
    async def test_uncommitted_changes_are_invisible_to_other_sessions(self) -> None:
        """Until commit, neither additions nor changes can be seen elsewhere."""
        account_id = await self._stored()
        repository = self.new_repository()
        (await repository.get(account_id)).deposit(3)
        newcomer = self.account_type(owner="New")
        await repository.add(newcomer)
        other = self.new_repository()
        assert (await other.get(account_id)).balance == 0
        assert await other.find(newcomer.id) is None

    @pytest.mark.asyncio
    async def test_a_deleted_aggregate_is_gone_after_commit(self) -> None:
        """Delete hides the aggregate at once in the session and everywhere after commit."""
        account_id = await self._stored()
        repository = self.new_repository()
        await repository.delete(await repository.get(account_id))
        assert await repository.find(account_id) is None
        await self.commit(repository)
        assert await self.new_repository().find(account_id) is None

    @pytest.mark.asyncio
    async def test_deleting_a_stale_copy_is_a_conflict(self) -> None:
        """Deletion is version-checked like any other write."""
        account_id = await self._stored()
        deleter, writer = self.new_repository(), self.new_repository()
        stale = await deleter.get(account_id)
        (await writer.get(account_id)).deposit(1)
        await self.commit(writer)
        await deleter.delete(stale)
        with pytest.raises(ConcurrencyError):
            await self.commit(deleter)
        assert (await self.new_repository().get(account_id)).balance == 1

    @pytest.mark.asyncio
    async def test_pending_events_are_never_stored(self) -> None:
        """A loaded aggregate starts with no pending events, whatever was recorded before."""
        account_id = await self._stored()
        repository = self.new_repository()
        account = await repository.get(account_id)
        account.deposit(1)
        assert len(account.pending_events) == 1
        await self.commit(repository)
        assert (await self.new_repository().get(account_id)).pending_events == ()

    @pytest.mark.asyncio
    async def test_seen_lists_every_aggregate_handed_out_or_added(self) -> None:
        """The session tracks what it touched so a unit of work can collect events."""
        account_id = await self._stored()
        repository = self.new_repository()
        loaded = await repository.get(account_id)
        added = self.account_type(owner="Added")
        await repository.add(added)
        assert {item.id for item in repository.seen} == {loaded.id, added.id}

    @pytest.mark.asyncio
    async def test_concurrent_writers_from_one_version_have_exactly_one_winner(self) -> None:
        """N sessions load the same version and commit at once: 1 succeeds, N-1 conflict."""
        account_id = await self._stored()
        workers = self.concurrent_workers
        for round_number in range(self.concurrent_rounds):
            barrier = AsyncBarrier(workers)

            async def deposit_one(barrier: Any = barrier) -> str:
                repository = self.new_repository()
                (await repository.get(account_id)).deposit(1)
                await barrier.wait()
                try:
                    await self.commit(repository)
                except ConcurrencyError:
                    return "conflict"
                return "stored"

            outcomes = await async_run_all([deposit_one] * workers)
            assert sorted(map(str, outcomes)) == ["conflict"] * (workers - 1) + ["stored"], (
                f"round {round_number}: {outcomes}"
            )
        stored = await self.new_repository().get(account_id)
        assert stored.balance == self.concurrent_rounds
        assert stored.version == self.concurrent_rounds + 1
