"""Event-sourced aggregates behave the same in both flavours; deciders are plain functions.

Each aggregate test runs once per flavour (the ``flavour`` fixture). The sample account
below is written as the docs recommend: fields without a default are set by the creation
event, ``evolve`` assigns new values, command methods check before they apply.
"""

import copy
import importlib
import json
import pickle
from dataclasses import dataclass, replace
from types import ModuleType, SimpleNamespace
from typing import Any, NewType
from uuid import UUID

import pytest

from tactica import (
    ConfigurationError,
    Decider,
    JsonCodec,
    MissingIdentityError,
    decide_and_evolve,
    fold,
    uuid7,
)

AccountId = NewType("AccountId", UUID)
LIMIT = 1_000


class DomainRuleBroken(Exception):
    """A user's own domain exception."""


@pytest.fixture(params=["dataclasses", "pydantic"])
def flavour(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"tactica.{request.param}")


def bank(flavour: ModuleType) -> SimpleNamespace:
    """An account in `flavour`, its events, and an account that forgets a field."""

    class Opened(flavour.DomainEvent):
        owner: str

    class Deposited(flavour.DomainEvent):
        amount: int

    class Account(flavour.EventSourcedAggregate[AccountId]):
        owner: str
        balance: int = 0
        deposits: tuple[int, ...] = ()
        seen_at: tuple[int, ...] = ()  # the version evolve saw for each event

        @classmethod
        def open(cls, owner: str, account_id: AccountId | None = None) -> "Account":
            account = cls.blank() if account_id is None else cls.blank(account_id)
            account.apply(Opened(owner=owner))
            return account

        def deposit(self, amount: int) -> None:
            if amount <= 0:
                raise DomainRuleBroken("deposit a positive amount")
            self.apply(Deposited(amount=amount))

        def evolve(self, event: Opened | Deposited) -> None:
            self.seen_at = (*self.seen_at, self.version)
            match event:
                case Opened(owner=owner):
                    self.owner = owner
                case Deposited(amount=amount):
                    self.balance += amount
                    self.deposits = (*self.deposits, amount)
                    # Checked after assigning, against the advice, to prove the rollback.
                    if self.balance > LIMIT:
                        raise DomainRuleBroken("over the limit")
                case _:
                    raise TypeError(event)

    names = SimpleNamespace(Opened=Opened, Deposited=Deposited, Account=Account)
    names.Forgetful = forgetful(flavour, Deposited)
    return names


def forgetful(flavour: ModuleType, deposited: type) -> type:
    """An account whose evolve never sets its owner."""

    class Forgetful(flavour.EventSourcedAggregate[AccountId]):
        owner: str
        balance: int = 0

        def evolve(self, event: Any) -> None:
            if isinstance(event, deposited):
                self.balance += event.amount

    return Forgetful


def state_of(account: Any) -> tuple[Any, ...]:
    return (account.id, account.version, account.owner, account.balance, account.deposits)


class TestApply:
    def test_apply_evolves_records_and_counts_the_version(self, flavour: ModuleType) -> None:
        """Each applied event changes the state, becomes pending and adds one to the version."""
        b = bank(flavour)
        account = b.Account.open("Ada")
        account.deposit(5)
        account.deposit(7)
        assert (account.owner, account.balance, account.deposits) == ("Ada", 12, (5, 7))
        assert account.version == 3
        assert [type(event) for event in account.pending_events] == [
            b.Opened,
            b.Deposited,
            b.Deposited,
        ]

    def test_the_creation_event_brings_the_aggregate_into_existence(
        self, flavour: ModuleType
    ) -> None:
        """A class method applies the first event to a blank aggregate, which sets its fields."""
        account = bank(flavour).Account.open("Ada")
        assert (account.version, account.owner, account.balance) == (1, "Ada", 0)
        assert isinstance(account.id, UUID)
        assert account.id.version == 7
        assert len(account.pending_events) == 1

    def test_a_refused_command_applies_nothing(self, flavour: ModuleType) -> None:
        """A command method that checks first leaves everything as it was when it refuses."""
        account = bank(flavour).Account.open("Ada")
        with pytest.raises(DomainRuleBroken):
            account.deposit(0)
        assert account.version == 1
        assert len(account.pending_events) == 1

    def test_a_failing_evolve_leaves_state_version_and_pending_events_unchanged(
        self, flavour: ModuleType
    ) -> None:
        """Attributes evolve assigned before it raised are restored; nothing is recorded."""
        account = bank(flavour).Account.open("Ada")
        account.deposit(600)
        before = (state_of(account), account.seen_at, account.pending_events)
        with pytest.raises(DomainRuleBroken, match="over the limit"):
            account.deposit(500)
        assert (state_of(account), account.seen_at, account.pending_events) == before
        account.deposit(400)
        assert (account.balance, account.version) == (1_000, 3)

    def test_a_failing_first_event_leaves_the_blank_aggregate_blank(
        self, flavour: ModuleType
    ) -> None:
        """Even attributes evolve added to a blank aggregate are taken away again."""
        b = bank(flavour)
        account = b.Account.blank()
        with pytest.raises(DomainRuleBroken):
            account.apply(b.Deposited(amount=LIMIT + 1))
        assert (account.version, account.balance, account.deposits) == (0, 0, ())
        assert account.pending_events == ()
        assert not hasattr(account, "owner")

    def test_a_first_event_that_leaves_a_field_unset_is_refused(self, flavour: ModuleType) -> None:
        """A field without a default must be set by the creation event; the error names it."""
        b = bank(flavour)
        forgetful = b.Forgetful.blank()
        with pytest.raises(ConfigurationError, match=r"Forgetful\.evolve left owner unset"):
            forgetful.apply(b.Deposited(amount=1))
        assert (forgetful.version, forgetful.balance, forgetful.pending_events) == (0, 0, ())

    def test_evolve_must_be_implemented(self, flavour: ModuleType) -> None:
        """A subclass without evolve says so when an event is applied."""

        class Lazy(flavour.EventSourcedAggregate[str]):
            pass

        lazy = Lazy.blank("l-1")
        with pytest.raises(NotImplementedError, match=r"Lazy must implement evolve"):
            lazy.apply(bank(flavour).Opened(owner="Ada"))
        assert (lazy.version, lazy.pending_events) == (0, ())

    def test_pull_events_hands_out_the_pending_events_once(self, flavour: ModuleType) -> None:
        """Pulling returns the applied events oldest first and clears them; the version stays."""
        b = bank(flavour)
        account = b.Account.open("Ada")
        account.deposit(5)
        pulled = account.pull_events()
        assert [type(event) for event in pulled] == [b.Opened, b.Deposited]
        assert account.pull_events() == []
        assert account.pending_events == ()
        assert account.version == 2


class TestBlank:
    def test_a_blank_aggregate_has_its_id_version_zero_and_defaults_only(
        self, flavour: ModuleType
    ) -> None:
        """Fields with a default have it; fields without one are unset; nothing is pending."""
        account_id = AccountId(uuid7())
        blank = bank(flavour).Account.blank(account_id)
        assert (blank.id, blank.version, blank.balance, blank.deposits) == (account_id, 0, 0, ())
        assert not hasattr(blank, "owner")
        assert blank.pending_events == ()

    def test_a_blank_aggregate_skips_construction_checks(self, flavour: ModuleType) -> None:
        """Neither __init__'s required fields nor check_invariants apply before the first event."""

        class Strict(flavour.EventSourcedAggregate[str]):
            name: str

            def check_invariants(self) -> None:
                raise DomainRuleBroken("never valid")

        assert Strict.blank("s-1").id == "s-1"
        with pytest.raises(DomainRuleBroken):
            Strict(id="s-1", name="x")

    def test_ids_that_cannot_be_generated_must_be_given(self, flavour: ModuleType) -> None:
        """As for entities, only UUID ids are generated."""

        class Named(flavour.EventSourcedAggregate[str]):
            pass

        with pytest.raises(MissingIdentityError):
            Named.blank()

    def test_default_factories_give_each_aggregate_its_own_value(self, flavour: ModuleType) -> None:
        """A mutable default made by a factory is never shared between blank aggregates."""
        factory = (
            importlib.import_module("dataclasses").field
            if flavour.__name__ == "tactica.dataclasses"
            else importlib.import_module("pydantic").Field
        )

        class Bag(flavour.EventSourcedAggregate[str]):
            items: list[str] = factory(default_factory=list)

        first, second = Bag.blank("b-1"), Bag.blank("b-2")
        first.items.append("x")
        assert second.items == []


class TestLoading:
    def test_replay_rebuilds_the_state_and_records_nothing(self, flavour: ModuleType) -> None:
        """Replaying the history gives the live aggregate's state, version and no pending events."""
        b = bank(flavour)
        live = b.Account.open("Ada")
        live.deposit(5)
        live.deposit(7)
        history = live.pull_events()
        loaded = b.Account.replay(live.id, history)
        assert state_of(loaded) == state_of(live)
        assert loaded.pending_events == ()

    def test_evolve_sees_the_same_version_when_applying_and_replaying(
        self, flavour: ModuleType
    ) -> None:
        """The version before each event is what evolve sees, live or on load."""
        b = bank(flavour)
        live = b.Account.open("Ada")
        live.deposit(5)
        loaded = b.Account.replay(live.id, live.pull_events())
        assert live.seen_at == loaded.seen_at == (0, 1)

    def test_an_empty_history_gives_a_blank_aggregate(self, flavour: ModuleType) -> None:
        """No events means version 0; whether that is "not found" is the repository's call."""
        account_id = AccountId(uuid7())
        loaded = bank(flavour).Account.replay(account_id, [])
        assert (loaded.id, loaded.version, loaded.balance) == (account_id, 0, 0)

    def test_a_history_without_its_creation_event_is_refused(self, flavour: ModuleType) -> None:
        """A replay that leaves a field unset fails loudly instead of handing out half an object."""
        b = bank(flavour)
        with pytest.raises(
            ConfigurationError, match=r"owner unset after a history ending with Deposited"
        ):
            b.Account.replay(AccountId(uuid7()), [b.Deposited(amount=1)])

    def test_fold_fast_forwards_a_snapshot_by_its_tail(self, flavour: ModuleType) -> None:
        """A decoded snapshot folded with the later events equals the full replay."""
        b = bank(flavour)
        live = b.Account.open("Ada")
        live.deposit(5)
        snapshot = JsonCodec().encode(live)
        live.deposit(7)
        tail = live.pull_events()[2:]
        restored = JsonCodec().decode(snapshot, b.Account)
        assert restored.fold(tail) is restored
        assert state_of(restored) == state_of(live)
        assert restored.pending_events == ()

    def test_the_state_round_trips_through_the_json_codec(self, flavour: ModuleType) -> None:
        """Fields and version are encoded, pending events are not; decoding keeps going."""
        b = bank(flavour)
        account = b.Account.open("Ada")
        account.deposit(5)
        data = JsonCodec().encode(account)
        assert set(json.loads(data)) == {"id", "version", "owner", "balance", "deposits", "seen_at"}
        decoded = JsonCodec().decode(data, b.Account)
        assert state_of(decoded) == state_of(account)
        assert decoded.pending_events == ()
        decoded.deposit(1)
        assert (decoded.version, decoded.balance) == (3, 6)


class TestIdentityAndCopies:
    def test_equality_and_hash_are_by_id(self, flavour: ModuleType) -> None:
        """Same type and id are the same aggregate, whatever the state or version."""
        b = bank(flavour)
        account = b.Account.open("Ada")
        other_state = b.Account.replay(account.id, [b.Opened(owner="Bob")])
        assert account == other_state
        assert hash(account) == hash(other_state)
        assert account != b.Account.open("Ada")
        assert account != b.Forgetful.blank(account.id)

    @pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
    def test_copies_own_their_pending_events_and_state(
        self, flavour: ModuleType, copier: Any
    ) -> None:
        """Applying to a copy leaves the original's state, version and pending events alone."""
        account = bank(flavour).Account.open("Ada")
        clone = copier(account)
        clone.deposit(5)
        assert (account.balance, account.version, len(account.pending_events)) == (0, 1, 1)
        assert (clone.balance, clone.version, len(clone.pull_events())) == (5, 2, 2)
        assert len(account.pending_events) == 1

    def test_a_failing_evolve_on_a_copy_leaves_both_unchanged(self, flavour: ModuleType) -> None:
        """The rollback restores the copy alone, never touching the original."""
        account = bank(flavour).Account.open("Ada")
        account.deposit(900)
        clone = copy.copy(account)
        with pytest.raises(DomainRuleBroken):
            clone.deposit(200)
        assert state_of(clone) == state_of(account)
        assert len(clone.pending_events) == len(account.pending_events) == 2


class DcNoted(importlib.import_module("tactica.dataclasses").DomainEvent):
    note: str


class DcLedger(importlib.import_module("tactica.dataclasses").EventSourcedAggregate[str]):
    notes: tuple[str, ...] = ()

    def evolve(self, event: DcNoted) -> None:
        self.notes = (*self.notes, event.note)


class PdNoted(importlib.import_module("tactica.pydantic").DomainEvent):
    note: str


class PdLedger(importlib.import_module("tactica.pydantic").EventSourcedAggregate[str]):
    notes: tuple[str, ...] = ()

    def evolve(self, event: PdNoted) -> None:
        self.notes = (*self.notes, event.note)


LEDGERS: dict[str, tuple[Any, Any]] = {
    "tactica.dataclasses": (DcNoted, DcLedger),
    "tactica.pydantic": (PdNoted, PdLedger),
}


def test_a_pickled_aggregate_carries_its_state_but_not_its_pending_events(
    flavour: ModuleType,
) -> None:
    """Pickling keeps state and version, as for AggregateRoot; pending events stay behind."""
    noted, ledger_type = LEDGERS[flavour.__name__]
    ledger = ledger_type.blank("l-1")
    ledger.apply(noted(note="a"))
    restored = pickle.loads(pickle.dumps(ledger))
    assert (restored.id, restored.version, restored.notes) == ("l-1", 1, ("a",))
    assert restored.pending_events == ()
    restored.apply(noted(note="b"))
    assert (restored.version, len(restored.pull_events()), len(ledger.pending_events)) == (2, 1, 1)


def test_both_flavours_give_the_same_results(flavour: ModuleType) -> None:
    """The same history gives the same state in either flavour."""
    noted, ledger_type = LEDGERS[flavour.__name__]
    ledger = ledger_type.replay("l-1", [noted(note="a"), noted(note="b")])
    assert (ledger.version, ledger.notes) == (2, ("a", "b"))


@dataclass(frozen=True)
class Deposit:
    amount: int


@dataclass(frozen=True)
class Deposited:
    amount: int


@dataclass(frozen=True)
class Balance:
    amount: int = 0


class BalanceDecider:
    initial_state = Balance()

    def decide(self, command: Deposit, state: Balance) -> list[Deposited]:
        if command.amount <= 0:
            raise DomainRuleBroken("deposit a positive amount")
        return [Deposited(command.amount)]

    def evolve(self, state: Balance, event: Deposited) -> Balance:
        return replace(state, amount=state.amount + event.amount)


class MaybeOpened:
    """A decider whose state is None until the first event: None must not mean "initial"."""

    initial_state: str | None = None

    def decide(self, command: str, state: str | None) -> list[str]:
        return [] if state is not None else [command]

    def evolve(self, state: str | None, event: str) -> str | None:
        return event if state is None else f"{state}+{event}"


class TestDecider:
    def test_fold_starts_from_the_initial_state(self) -> None:
        """Folding the history gives the state after the last event."""
        decider: Decider[Deposit, Deposited, Balance] = BalanceDecider()
        assert fold(decider, [Deposited(2), Deposited(3)]) == Balance(5)
        assert fold(decider, []) == Balance()

    def test_fold_continues_from_a_given_state(self) -> None:
        """A snapshot's state and its tail fold to the state of the whole history."""
        assert fold(BalanceDecider(), [Deposited(3)], state=Balance(10)) == Balance(13)

    def test_a_given_state_of_none_is_used_as_given(self) -> None:
        """None is a legitimate state, not a request for the initial one."""
        decider = MaybeOpened()
        decider.initial_state = "initial"
        assert fold(decider, ["b"], state=None) == "b"
        assert fold(decider, ["b"]) == "initial+b"

    def test_decide_and_evolve_returns_the_events_and_the_state_after_them(self) -> None:
        """The decided events evolve the given state, which stays unchanged itself."""
        state = Balance(1)
        events, after = decide_and_evolve(BalanceDecider(), Deposit(4), state)
        assert (list(events), after, state) == ([Deposited(4)], Balance(5), Balance(1))
        assert decide_and_evolve(BalanceDecider(), Deposit(2)) == ([Deposited(2)], Balance(2))

    def test_a_refused_command_raises_from_decide(self) -> None:
        """Refusal is an exception from decide; there are no events and no new state."""
        with pytest.raises(DomainRuleBroken):
            decide_and_evolve(BalanceDecider(), Deposit(0), Balance(1))

    def test_no_events_leave_the_state_as_it_was(self) -> None:
        """A command that changes nothing returns no events and the same state."""
        events, after = decide_and_evolve(MaybeOpened(), "again", "opened")
        assert (list(events), after) == ([], "opened")


class TestDeclaredEventTypes:
    """Both flavours record the event union an aggregate declares, for its default codec."""

    def test_the_union_is_read_in_both_flavours(self, flavour: ModuleType) -> None:
        """pydantic keeps generic arguments elsewhere than the standard library: both work."""
        from tactica.ports._streams import declared_event_types, default_codec

        b = bank(flavour)

        class Ledger(flavour.EventSourcedAggregate[str, b.Opened | b.Deposited]):
            def evolve(self, event: object) -> None:
                pass

        class Special(Ledger):
            pass

        assert declared_event_types(Ledger) == (b.Opened, b.Deposited)
        assert declared_event_types(Special) == (b.Opened, b.Deposited), "inherited"
        assert set(default_codec(Ledger).registry) == {b.Opened, b.Deposited}

    def test_a_union_given_through_a_generic_base_is_found(self, flavour: ModuleType) -> None:
        """class Base(EventSourcedAggregate[str, E], Generic[E]); class A(Base[X | Y])."""
        from typing import Generic

        from typing_extensions import TypeVar

        from tactica.ports._streams import declared_event_types

        b = bank(flavour)
        event = TypeVar("event")

        class Base(flavour.EventSourcedAggregate[str, event], Generic[event]):
            pass

        class Concrete(Base[b.Opened | b.Deposited]):
            pass

        assert declared_event_types(Base) == ()
        assert declared_event_types(Concrete) == (b.Opened, b.Deposited)

    def test_no_union_declares_nothing_not_any(self, flavour: ModuleType) -> None:
        """Without a second argument (Any by default) the registry stays empty."""
        from tactica.ports._streams import declared_event_types

        class Untyped(flavour.EventSourcedAggregate[str]):
            pass

        assert declared_event_types(Untyped) == ()
