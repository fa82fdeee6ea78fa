# Generated from _repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The repository conformance contract (sync colour).

Subclass `RepositoryContract` in a test module and implement `new_repository` and
`commit`; pytest then runs every behaviour a repository must have against your backend.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tactica.errors import AggregateAlreadyExistsError, AggregateNotFoundError, ConcurrencyError
from tactica.testing._concurrency import Barrier, run_all
from tactica.testing._sample import Account, Card

__all__ = ["RepositoryContract"]


class RepositoryContract:
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

    def commit(self, repository: Any) -> None:
        """Store the changes tracked by `repository`, atomically."""
        raise NotImplementedError

    def _stored(self, owner: str = "Ada", **fields: Any) -> Any:
        repository = self.new_repository()
        account = self.account_type(owner=owner, **fields)
        repository.add(account)
        self.commit(repository)
        return account.id

    def test_an_added_aggregate_is_readable_from_another_session(self) -> None:
        """An added and committed aggregate loads, equal in state, in a new session."""
        account_id = self._stored(balance=7)
        loaded = self.new_repository().get(account_id)
        assert (loaded.id, loaded.owner, loaded.balance) == (account_id, "Ada", 7)
        assert loaded.version == 1

    def test_get_raises_and_find_returns_none_for_an_unknown_id(self) -> None:
        """A missing aggregate is an error for get and None for find."""
        unknown = self.account_type(owner="nobody").id
        repository = self.new_repository()
        with pytest.raises(AggregateNotFoundError, match=str(unknown)):
            repository.get(unknown)
        assert repository.find(unknown) is None

    def test_one_session_hands_out_one_instance_per_id(self) -> None:
        """Within a session the same id yields the same object (an identity map)."""
        account_id = self._stored()
        repository = self.new_repository()
        assert repository.get(account_id) is repository.get(account_id)

    def test_sessions_never_share_objects(self) -> None:
        """Two sessions get distinct copies; changing one copy changes nothing stored."""
        account_id = self._stored(balance=1)
        first = self.new_repository().get(account_id)
        second = self.new_repository().get(account_id)
        assert first is not second
        first.balance = 1000
        assert second.balance == 1
        assert (self.new_repository().get(account_id)).balance == 1

    def test_changing_a_nested_part_of_a_loaded_copy_changes_nothing_stored(self) -> None:
        """Copies are deep: a nested list or entity of a loaded aggregate is its own too."""
        account_id = self._stored(cards=[self.card_type(id="card-1")])
        copy = self.new_repository().get(account_id)
        copy.cards[0].blocked = True
        copy.cards.append(self.card_type(id="card-2"))
        stored = self.new_repository().get(account_id)
        assert [(card.id, card.blocked) for card in stored.cards] == [("card-1", False)]

    def test_changing_an_added_aggregate_after_commit_changes_nothing_stored(self) -> None:
        """What a commit stored is a snapshot: later changes count only when committed."""
        repository = self.new_repository()
        account = self.account_type(owner="Ada", cards=[self.card_type(id="card-1")])
        repository.add(account)
        self.commit(repository)
        account.cards[0].blocked = True
        account.balance = 500
        stored = self.new_repository().get(account.id)
        assert (stored.balance, stored.cards[0].blocked) == (0, False)

    def test_a_change_made_after_a_commit_is_written_by_the_next_commit(self) -> None:
        """Aggregates stay tracked after a commit, so nothing changed later is lost."""
        account_id = self._stored()
        repository = self.new_repository()
        account = repository.get(account_id)
        account.deposit(1)
        self.commit(repository)
        account.deposit(5)
        self.commit(repository)
        stored = self.new_repository().get(account_id)
        assert (stored.balance, stored.version) == (6, 3)
        assert account.version == 3

    def test_pulling_events_after_a_commit_is_not_a_change(self) -> None:
        """Taking the recorded events away writes nothing and bumps no version."""
        account_id = self._stored()
        repository = self.new_repository()
        account = repository.get(account_id)
        account.deposit(1)
        self.commit(repository)
        assert len(account.pull_events()) == 1
        self.commit(repository)
        assert (self.new_repository().get(account_id)).version == 2

    def test_recording_an_event_without_changing_a_field_is_a_change(self) -> None:
        """An event is something that happened: the aggregate is written and version-checked."""
        account_id = self._stored()
        repository = self.new_repository()
        account = repository.get(account_id)
        account.deposit(0)
        self.commit(repository)
        assert (self.new_repository().get(account_id)).version == 2

    def test_the_expected_version_is_the_one_read_not_the_aggregates_attribute(
        self,
    ) -> None:
        """Editing `version` on a stale copy cannot smuggle a write past the check."""
        account_id = self._stored()
        winner, loser = self.new_repository(), self.new_repository()
        (winner.get(account_id)).deposit(10)
        stale = loser.get(account_id)
        self.commit(winner)
        stale.deposit(99)
        stale.version += 1
        with pytest.raises(ConcurrencyError):
            self.commit(loser)
        assert (self.new_repository().get(account_id)).balance == 10

    def test_deleting_what_was_never_stored_is_not_found(self) -> None:
        """Deleting an aggregate no one stored is AggregateNotFoundError, not a conflict."""
        repository = self.new_repository()
        repository.delete(self.account_type(owner="Ghost"))
        with pytest.raises(AggregateNotFoundError):
            self.commit(repository)

    def test_a_committed_change_is_stored_and_bumps_the_version(self) -> None:
        """Each committed change raises the version by one and is visible afterwards."""
        account_id = self._stored()
        for expected_version in (2, 3):
            repository = self.new_repository()
            account = repository.get(account_id)
            account.deposit(5)
            self.commit(repository)
            assert account.version == expected_version
        stored = self.new_repository().get(account_id)
        assert (stored.balance, stored.version) == (10, 3)

    def test_a_change_to_a_nested_entity_is_stored(self) -> None:
        """Changing a nested entity counts as a change of the aggregate."""
        account_id = self._stored(cards=[self.card_type(id="card-1")])
        repository = self.new_repository()
        account = repository.get(account_id)
        account.cards[0].blocked = True
        self.commit(repository)
        stored = self.new_repository().get(account_id)
        assert stored.cards[0].blocked is True
        assert stored.version == 2

    def test_an_unchanged_aggregate_is_not_written(self) -> None:
        """Loading without changing neither bumps the version nor conflicts."""
        account_id = self._stored()
        reader = self.new_repository()
        reader.get(account_id)
        writer = self.new_repository()
        (writer.get(account_id)).deposit(1)
        self.commit(writer)
        self.commit(reader)
        assert (self.new_repository().get(account_id)).version == 2

    def test_a_stale_copy_cannot_overwrite_a_newer_version(self) -> None:
        """The second writer from the same version gets ConcurrencyError; the first wins."""
        account_id = self._stored()
        winner, loser = self.new_repository(), self.new_repository()
        (winner.get(account_id)).deposit(10)
        (loser.get(account_id)).deposit(99)
        self.commit(winner)
        with pytest.raises(ConcurrencyError):
            self.commit(loser)
        stored = self.new_repository().get(account_id)
        assert (stored.balance, stored.version) == (10, 2)

    def test_a_conflict_writes_nothing_of_the_whole_commit(self) -> None:
        """A commit touching two aggregates, one of them stale, stores neither change."""
        fresh_id = self._stored(owner="Fresh")
        stale_id = self._stored(owner="Stale")
        interloper = self.new_repository()
        (interloper.get(stale_id)).deposit(1)
        repository = self.new_repository()
        (repository.get(fresh_id)).deposit(50)
        (repository.get(stale_id)).deposit(50)
        self.commit(interloper)
        with pytest.raises(ConcurrencyError):
            self.commit(repository)
        check = self.new_repository()
        assert (check.get(fresh_id)).balance == 0
        assert (check.get(stale_id)).balance == 1

    def test_adding_an_existing_id_fails_by_commit(self) -> None:
        """Inserting an id that is already stored raises AggregateAlreadyExistsError."""
        account_id = self._stored()
        repository = self.new_repository()
        with pytest.raises(AggregateAlreadyExistsError):
            repository.add(self.account_type(id=account_id, owner="Impostor"))
            self.commit(repository)
        assert (self.new_repository().get(account_id)).owner == "Ada"

    def test_uncommitted_changes_are_invisible_to_other_sessions(self) -> None:
        """Until commit, neither additions nor changes can be seen elsewhere."""
        account_id = self._stored()
        repository = self.new_repository()
        (repository.get(account_id)).deposit(3)
        newcomer = self.account_type(owner="New")
        repository.add(newcomer)
        other = self.new_repository()
        assert (other.get(account_id)).balance == 0
        assert other.find(newcomer.id) is None

    def test_a_deleted_aggregate_is_gone_after_commit(self) -> None:
        """Delete hides the aggregate at once in the session and everywhere after commit."""
        account_id = self._stored()
        repository = self.new_repository()
        repository.delete(repository.get(account_id))
        assert repository.find(account_id) is None
        self.commit(repository)
        assert self.new_repository().find(account_id) is None

    def test_deleting_a_stale_copy_is_a_conflict(self) -> None:
        """Deletion is version-checked like any other write."""
        account_id = self._stored()
        deleter, writer = self.new_repository(), self.new_repository()
        stale = deleter.get(account_id)
        (writer.get(account_id)).deposit(1)
        self.commit(writer)
        deleter.delete(stale)
        with pytest.raises(ConcurrencyError):
            self.commit(deleter)
        assert (self.new_repository().get(account_id)).balance == 1

    def test_pending_events_are_never_stored(self) -> None:
        """A loaded aggregate starts with no pending events, whatever was recorded before."""
        account_id = self._stored()
        repository = self.new_repository()
        account = repository.get(account_id)
        account.deposit(1)
        assert len(account.pending_events) == 1
        self.commit(repository)
        assert (self.new_repository().get(account_id)).pending_events == ()

    def test_seen_lists_every_aggregate_handed_out_or_added(self) -> None:
        """The session tracks what it touched so a unit of work can collect events."""
        account_id = self._stored()
        repository = self.new_repository()
        loaded = repository.get(account_id)
        added = self.account_type(owner="Added")
        repository.add(added)
        assert {item.id for item in repository.seen} == {loaded.id, added.id}

    def test_concurrent_writers_from_one_version_have_exactly_one_winner(self) -> None:
        """N sessions load the same version and commit at once: 1 succeeds, N-1 conflict."""
        account_id = self._stored()
        workers = self.concurrent_workers
        for round_number in range(self.concurrent_rounds):
            barrier = Barrier(workers)

            def deposit_one(barrier: Any = barrier) -> str:
                repository = self.new_repository()
                (repository.get(account_id)).deposit(1)
                barrier.wait()
                try:
                    self.commit(repository)
                except ConcurrencyError:
                    return "conflict"
                return "stored"

            outcomes = run_all([deposit_one] * workers)
            assert sorted(map(str, outcomes)) == ["conflict"] * (workers - 1) + ["stored"], (
                f"round {round_number}: {outcomes}"
            )
        stored = self.new_repository().get(account_id)
        assert stored.balance == self.concurrent_rounds
        assert stored.version == self.concurrent_rounds + 1
