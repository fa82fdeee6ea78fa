"""Every domain building block behaves the same in the dataclass and the pydantic flavour.

Each test runs once per flavour (the ``flavour`` fixture), so the two cannot drift apart.
Classes are declared inside the tests on purpose: that is how both flavours must read.
"""

import copy
import dataclasses
import importlib
import json
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType
from typing import Any, NewType
from uuid import UUID, uuid4

import pytest

from tactica import (
    ConfigurationError,
    FrozenDict,
    ImmutableObjectError,
    InvalidMessageError,
    JsonCodec,
    MessageDecodeError,
    MissingIdentityError,
    TacticaError,
    message_context,
    uuid7,
)

OrderId = NewType("OrderId", UUID)


class DomainRuleBroken(Exception):
    """A user's own domain exception: it must reach the caller unchanged in both flavours."""


@pytest.fixture(params=["dataclasses", "pydantic"])
def flavour(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"tactica.{request.param}")


def state_of(obj: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)  # type: ignore[arg-type]
    return obj.model_dump()


def changed_copy(obj: Any, **changes: Any) -> Any:
    """The copy-with-changes each flavour's ImmutableObjectError message recommends."""
    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    return obj.model_copy(update=changes)


def test_both_flavours_export_the_same_names() -> None:
    """Switching flavours is a change of import, never of names."""
    dataclass_flavour = importlib.import_module("tactica.dataclasses")
    pydantic_flavour = importlib.import_module("tactica.pydantic")
    assert dataclass_flavour.__all__ == pydantic_flavour.__all__


class TestValueObject:
    def money(self, flavour: ModuleType) -> Any:
        class Money(flavour.ValueObject):
            amount: int
            currency: str

            def check_invariants(self) -> None:
                if self.amount < 0:
                    raise DomainRuleBroken("amount must not be negative")
                if self.currency != self.currency.upper():
                    raise ValueError("currency must be upper case")

            def add(self, other: "Money") -> "Money":
                return type(self)(amount=self.amount + other.amount, currency=self.currency)

        return Money

    def test_equal_and_hashed_by_value(self, flavour: ModuleType) -> None:
        """Two values with the same fields are equal and interchangeable in sets."""
        money = self.money(flavour)
        a, b = money(amount=5, currency="EUR"), money(amount=5, currency="EUR")
        assert a == b
        assert hash(a) == hash(b)
        assert len({a, b}) == 1
        assert a != money(amount=6, currency="EUR")

    def test_values_of_different_types_are_not_equal(self, flavour: ModuleType) -> None:
        """Equal fields do not make different value types equal."""

        class Other(flavour.ValueObject):
            amount: int
            currency: str

        assert self.money(flavour)(amount=1, currency="EUR") != Other(amount=1, currency="EUR")

    def test_assignment_and_deletion_raise_immutable_object_error(
        self, flavour: ModuleType
    ) -> None:
        """A value object cannot be changed in place; the error says how to make a new one."""
        value = self.money(flavour)(amount=5, currency="EUR")
        with pytest.raises(ImmutableObjectError, match=r"Money\.amount.*new instance"):
            value.amount = 6
        with pytest.raises(AttributeError):
            del value.currency
        assert value.amount == 5

    def test_construction_is_keyword_only(self, flavour: ModuleType) -> None:
        """Positional arguments are refused, so field order never matters."""
        with pytest.raises(TypeError):
            self.money(flavour)(5, "EUR")

    def test_unknown_fields_are_refused(self, flavour: ModuleType) -> None:
        """A misspelt field name is an error, not a silently dropped value."""
        with pytest.raises((TypeError, ValueError)):
            self.money(flavour)(amount=5, currency="EUR", amuont=6)

    def test_check_invariants_runs_on_construction(self, flavour: ModuleType) -> None:
        """A domain exception from the hook reaches the caller unchanged."""
        with pytest.raises(DomainRuleBroken, match="negative"):
            self.money(flavour)(amount=-1, currency="EUR")

    def test_a_value_error_from_check_invariants_reaches_the_caller_unchanged(
        self, flavour: ModuleType
    ) -> None:
        """pydantic would wrap it in ValidationError; tactica hands over the error itself."""

        class OutOfStock(ValueError):
            pass

        class Stock(flavour.ValueObject):
            units: int

            def check_invariants(self) -> None:
                if self.units < 0:
                    raise OutOfStock("no units left")
                assert self.units < 1000, "too many units"

        with pytest.raises(OutOfStock, match="no units left") as caught:
            Stock(units=-1)
        assert type(caught.value) is OutOfStock
        with pytest.raises(AssertionError, match="too many units"):
            Stock(units=1000)
        if flavour.__name__ == "tactica.pydantic":
            with pytest.raises(OutOfStock):
                Stock.model_validate({"units": -1})
            with pytest.raises(OutOfStock):
                Stock.model_validate_json('{"units": -1}')

    def test_a_decoded_value_that_breaks_an_invariant_is_a_decode_error(
        self, flavour: ModuleType
    ) -> None:
        """Stored data that breaks a rule is bad input, reported like malformed input."""
        with pytest.raises(MessageDecodeError, match="upper case"):
            JsonCodec().decode(b'{"amount": 1, "currency": "eur"}', self.money(flavour))

    def test_a_changed_copy_is_held_to_the_invariants(self, flavour: ModuleType) -> None:
        """The copy each flavour recommends (replace / model_copy) cannot break the rules."""
        price = self.money(flavour)(amount=5, currency="EUR")
        assert changed_copy(price, amount=7).amount == 7
        with pytest.raises(DomainRuleBroken, match="negative"):
            changed_copy(price, amount=-5)
        with pytest.raises(ValueError, match="upper case"):
            changed_copy(price, currency="eur")
        assert price.amount == 5

    def test_operations_return_new_instances(self, flavour: ModuleType) -> None:
        """Combining values builds a new value and leaves the operands alone."""
        money = self.money(flavour)
        a = money(amount=5, currency="EUR")
        total = a.add(money(amount=2, currency="EUR"))
        assert total == money(amount=7, currency="EUR")
        assert a.amount == 5


class TestEntity:
    def customer(self, flavour: ModuleType) -> Any:
        class Customer(flavour.Entity[OrderId]):
            name: str

        return Customer

    def test_equality_is_identity(self, flavour: ModuleType) -> None:
        """Same type and same id are equal whatever the other attributes say."""
        customer = self.customer(flavour)
        ada = customer(name="Ada")
        assert ada == customer(id=ada.id, name="Ada Lovelace")
        assert ada != customer(name="Ada")
        assert hash(ada) == hash(ada.id)

    def test_entities_of_different_types_with_one_id_differ(self, flavour: ModuleType) -> None:
        """The same id in two entity types names two different things."""

        class Supplier(flavour.Entity[OrderId]):
            name: str

        shared = OrderId(uuid7())
        assert self.customer(flavour)(id=shared, name="x") != Supplier(id=shared, name="x")

    @pytest.mark.parametrize("id_type", [UUID, OrderId, None], ids=["UUID", "NewType", "unbound"])
    def test_uuid_ids_are_generated_as_uuid7(self, flavour: ModuleType, id_type: Any) -> None:
        """Omitting the id of a UUID-identified entity generates a time-ordered UUIDv7."""
        base = flavour.Entity if id_type is None else flavour.Entity[id_type]

        class Thing(base):  # type: ignore[misc,valid-type]
            label: str = ""

        first, second = Thing(), Thing()
        assert isinstance(first.id, UUID)
        assert first.id.version == 7
        assert first.id < second.id

    def test_redeclaring_the_id_without_a_default_makes_it_required(
        self, flavour: ModuleType
    ) -> None:
        """As for type checkers and pydantic: a field redeclared without default is required."""

        class Invoice(flavour.Entity[OrderId]):
            id: OrderId
            total: int = 0

        with pytest.raises((TypeError, ValueError), match="id"):
            Invoice()
        given = OrderId(uuid4())
        assert Invoice(id=given).id == given

    def test_an_explicit_id_is_kept(self, flavour: ModuleType) -> None:
        """A given id is used as is."""
        chosen = OrderId(uuid4())
        assert self.customer(flavour)(id=chosen, name="Ada").id == chosen

    @pytest.mark.parametrize("id_type", [int, str])
    def test_int_and_str_ids_must_be_given(self, flavour: ModuleType, id_type: type) -> None:
        """Without a generator for the id type, omitting the id is a clear error."""

        class Numbered(flavour.Entity[id_type]):  # type: ignore[misc,valid-type]
            label: str = ""

        with pytest.raises(MissingIdentityError, match=r"Numbered needs an explicit id.*id="):
            Numbered()
        assert Numbered(id=id_type(7)).id == id_type(7)

    def test_the_id_cannot_be_reassigned(self, flavour: ModuleType) -> None:
        """Identity is for life, while other attributes stay mutable."""
        ada = self.customer(flavour)(name="Ada")
        original = ada.id
        with pytest.raises(ImmutableObjectError, match="cannot be reassigned"):
            ada.id = OrderId(uuid7())
        ada.name = "Ada Lovelace"
        assert (ada.id, ada.name) == (original, "Ada Lovelace")

    def test_check_invariants_runs_on_construction(self, flavour: ModuleType) -> None:
        """Entities validate themselves on construction like value objects."""

        class Named(flavour.Entity[OrderId]):
            name: str

            def check_invariants(self) -> None:
                if not self.name:
                    raise DomainRuleBroken("a name is required")

        with pytest.raises(DomainRuleBroken):
            Named(name="")


class TestAggregateRoot:
    def order(self, flavour: ModuleType) -> tuple[Any, Any]:
        class LinePlaced(flavour.DomainEvent):
            sku: str

        class Order(flavour.AggregateRoot[OrderId]):
            lines: tuple[str, ...] = ()

            def place(self, sku: str) -> None:
                if sku in self.lines:
                    raise DomainRuleBroken(f"{sku} is already on the order")
                self.lines = (*self.lines, sku)
                self.record(LinePlaced(sku=sku))

        return Order, LinePlaced

    def test_version_starts_at_zero(self, flavour: ModuleType) -> None:
        """A new aggregate has never been stored."""
        order, _ = self.order(flavour)
        assert order().version == 0

    def test_pull_events_returns_recorded_events_in_order_and_clears_them(
        self, flavour: ModuleType
    ) -> None:
        """Events come out once, oldest first."""
        order_type, _ = self.order(flavour)
        order = order_type()
        order.place("a")
        order.place("b")
        assert [event.sku for event in order.pending_events] == ["a", "b"]
        assert [event.sku for event in order.pull_events()] == ["a", "b"]
        assert order.pull_events() == []
        assert order.pending_events == ()

    def test_an_invariant_violation_records_nothing(self, flavour: ModuleType) -> None:
        """A refused change leaves state and pending events as they were."""
        order_type, _ = self.order(flavour)
        order = order_type()
        order.place("a")
        with pytest.raises(DomainRuleBroken):
            order.place("a")
        assert order.lines == ("a",)
        assert len(order.pending_events) == 1

    def test_pending_events_are_not_part_of_the_state(self, flavour: ModuleType) -> None:
        """Serialization, repr and equality never see pending events."""
        order_type, _ = self.order(flavour)
        order = order_type()
        order.place("a")
        encoded = json.loads(JsonCodec().encode(order))
        assert set(encoded) == {"id", "version", "lines"}
        assert set(state_of(order)) == {"id", "version", "lines"}
        assert "LinePlaced" not in repr(order)

    @pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
    def test_copies_own_their_pending_events(self, flavour: ModuleType, copier: Any) -> None:
        """Recording on a copy, or pulling from it, leaves the original alone."""
        order_type, _ = self.order(flavour)
        order = order_type()
        order.place("a")
        clone = copier(order)
        clone.place("b")
        assert len(order.pending_events) == 1
        assert len(clone.pull_events()) == 2
        assert len(order.pending_events) == 1

    def test_model_copy_owns_its_pending_events(self) -> None:
        """pydantic's own copy method gives the copy its own list too."""
        order_type, _ = self.order(importlib.import_module("tactica.pydantic"))
        order = order_type()
        order.place("a")
        clone = order.model_copy()
        clone.place("b")
        assert len(order.pending_events) == 1


class TestDomainEvent:
    def test_ids_and_timestamp_are_filled(self, flavour: ModuleType) -> None:
        """Each event gets a fresh UUIDv7 and an aware UTC timestamp."""

        class Shipped(flavour.DomainEvent):
            parcel: str

        before = datetime.now(UTC)
        first, second = Shipped(parcel="p"), Shipped(parcel="p")
        assert first.event_id.version == 7
        assert first.event_id < second.event_id
        assert first.occurred_at.utcoffset() == timedelta(0)
        assert before <= first.occurred_at <= datetime.now(UTC)
        assert first != second

    def test_events_are_frozen(self, flavour: ModuleType) -> None:
        """History is not rewritten in place."""

        class Shipped(flavour.DomainEvent):
            parcel: str

        event = Shipped(parcel="p")
        with pytest.raises(ImmutableObjectError):
            event.parcel = "q"

    def test_correlation_and_causation_come_from_the_message_context(
        self, flavour: ModuleType
    ) -> None:
        """Inside a message context every new event carries its ids with no stamping code."""

        class Shipped(flavour.DomainEvent):
            parcel: str

        correlation, causation = uuid7(), uuid7()
        with message_context(correlation_id=correlation, causation_id=causation):
            inside = Shipped(parcel="p")
            with message_context(correlation_id=correlation, causation_id=inside.event_id):
                nested = Shipped(parcel="q")
        outside = Shipped(parcel="r")
        assert (inside.correlation_id, inside.causation_id) == (correlation, causation)
        assert (nested.correlation_id, nested.causation_id) == (correlation, inside.event_id)
        assert (outside.correlation_id, outside.causation_id) == (None, None)

    def test_explicit_ids_win_over_the_context(self, flavour: ModuleType) -> None:
        """Passing correlation or causation ids by hand overrides the context."""

        class Shipped(flavour.DomainEvent):
            parcel: str

        mine = uuid7()
        with message_context(correlation_id=uuid7(), causation_id=uuid7()):
            event = Shipped(parcel="p", correlation_id=mine, causation_id=None)
        assert (event.correlation_id, event.causation_id) == (mine, None)

    def test_metadata_is_an_immutable_mapping(self, flavour: ModuleType) -> None:
        """Metadata given as a dict is frozen; the caller's dict stays independent."""

        class Shipped(flavour.DomainEvent):
            parcel: str

        given = {"tenant": "acme"}
        event = Shipped(parcel="p", metadata=given)
        given["tenant"] = "evil"
        assert isinstance(event.metadata, FrozenDict)
        assert event.metadata == {"tenant": "acme"}
        with pytest.raises(ImmutableObjectError):
            event.metadata["tenant"] = "other"  # type: ignore[index]
        assert Shipped(parcel="p").metadata == {}

    def test_events_hash_by_event_id(self, flavour: ModuleType) -> None:
        """Events with metadata can live in sets; equal events share a hash."""

        class Shipped(flavour.DomainEvent):
            parcel: str

        event = Shipped(parcel="p", metadata={"k": "v"})
        assert hash(event) == hash(event.event_id)
        assert len({event, event}) == 1

    def test_a_naive_timestamp_is_refused(self, flavour: ModuleType) -> None:
        """occurred_at must say which time zone it is in."""

        class Shipped(flavour.DomainEvent):
            parcel: str

        with pytest.raises(InvalidMessageError, match=r"occurred_at must be timezone-aware"):
            Shipped(parcel="p", occurred_at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point

    def test_an_aware_timestamp_is_stored_in_utc(self, flavour: ModuleType) -> None:
        class Shipped(flavour.DomainEvent):
            parcel: str

        aware = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
        shipped = Shipped(parcel="p", occurred_at=aware)
        assert shipped.occurred_at == aware
        assert shipped.occurred_at.tzinfo is UTC
        assert shipped.occurred_at.hour == 10
        from zoneinfo import ZoneInfo

        summer_in_paris = datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
        converted = Shipped(parcel="p", occurred_at=summer_in_paris).occurred_at
        assert (converted.tzinfo, converted.hour) == (UTC, 10)
        decoded = JsonCodec().decode(JsonCodec().encode(shipped), Shipped)
        assert decoded.occurred_at == aware
        assert decoded.occurred_at.utcoffset() == timedelta(0)

    def test_defining_the_post_init_hook_is_refused_at_class_creation(
        self, flavour: ModuleType
    ) -> None:
        """An override would skip id generation and checks; check_invariants is the hook."""
        hook = "__post_init__" if flavour.__name__ == "tactica.dataclasses" else "model_post_init"
        for base in (flavour.ValueObject, flavour.Entity, flavour.DomainEvent):
            with pytest.raises(ConfigurationError, match=f"{hook}.*check_invariants"):
                type("Custom", (base,), {"__annotations__": {"x": int}, hook: lambda *_: None})
            mixin = type("Mixin", (), {hook: lambda *_: None})
            with pytest.raises(ConfigurationError, match=f"inherits.*{hook}"):
                type("Mixed", (mixin, base), {"__annotations__": {"x": int}})

    def test_registered_name_aliases_and_version(self, flavour: ModuleType) -> None:
        """Class keywords set the stored name, the old names and the schema version."""

        class Shipped(flavour.DomainEvent, name="shipping.shipped", aliases=("Sent",), version=3):
            parcel: str

        class Delivered(flavour.DomainEvent):
            parcel: str

        assert Shipped.__message_name__ == "shipping.shipped"
        assert Shipped.__message_aliases__ == ("Sent",)
        assert Shipped.__message_version__ == 3
        assert (
            Delivered.__message_name__
            == "TestDomainEvent.test_registered_name_aliases_and_version.Delivered"
        )
        assert Delivered.__message_version__ == 1

    def test_events_nested_in_an_aggregate_are_named_after_it(self, flavour: ModuleType) -> None:
        """Declaring events inside the aggregate class gives them qualified names."""

        class Parcel(flavour.AggregateRoot[OrderId]):
            class Shipped(flavour.DomainEvent):
                carrier: str

            def ship(self, carrier: str) -> None:
                self.record(Parcel.Shipped(carrier=carrier))

        parcel = Parcel()
        parcel.ship("dhl")
        assert parcel.pull_events()[0].carrier == "dhl"
        assert Parcel.Shipped.__message_name__.endswith("Parcel.Shipped")

    @pytest.mark.parametrize(
        ("keywords", "complaint"),
        [
            ({"name": "os:system; rm"}, "not valid"),
            ({"name": ""}, "not valid"),
            ({"aliases": "Old"}, "tuple of names"),
            ({"version": 0}, "version must be an int from 1"),
            ({"version": True}, "version must be an int from 1"),
            ({"version": 2**31}, "version must be an int from 1 to 2147483647"),
        ],
    )
    def test_bad_class_keywords_fail_when_the_class_is_defined(
        self, flavour: ModuleType, keywords: dict[str, Any], complaint: str
    ) -> None:
        """Names and versions are validated at class creation, never at first use."""
        with pytest.raises(ConfigurationError, match=complaint):

            class Bad(flavour.DomainEvent, **keywords):  # type: ignore[misc]
                parcel: str

    def test_errors_are_tactica_errors(self) -> None:
        """Everything tactica raises can be caught as TacticaError."""
        assert issubclass(ImmutableObjectError, TacticaError)
        assert issubclass(MissingIdentityError, TacticaError)
        assert issubclass(ConfigurationError, TacticaError)


def _picklable_types() -> dict[str, tuple[Any, Any]]:
    return {"tactica.dataclasses": (DcStamped, DcLedger), "tactica.pydantic": (PdStamped, PdLedger)}


class DcStamped(importlib.import_module("tactica.dataclasses").DomainEvent):
    note: str


class DcLedger(importlib.import_module("tactica.dataclasses").AggregateRoot[OrderId]):
    notes: tuple[str, ...] = ()


class PdStamped(importlib.import_module("tactica.pydantic").DomainEvent):
    note: str


class PdLedger(importlib.import_module("tactica.pydantic").AggregateRoot[OrderId]):
    notes: tuple[str, ...] = ()


def test_a_pickled_aggregate_carries_its_state_but_not_its_pending_events(
    flavour: ModuleType,
) -> None:
    """Pending events belong to the live object; no form of serialization carries them."""
    import pickle

    stamped, ledger_type = _picklable_types()[flavour.__name__]
    ledger = ledger_type(notes=("a",))
    ledger.record(stamped(note="a"))
    restored = pickle.loads(pickle.dumps(ledger))
    assert (restored.id, restored.notes) == (ledger.id, ("a",))
    assert restored.pending_events == ()
    assert len(ledger.pending_events) == 1
    restored.record(stamped(note="b"))
    assert len(restored.pull_events()) == 1


def test_metadata_keys_must_be_strings(flavour: ModuleType) -> None:
    """A non-string key would come back as a string after a JSON round trip."""

    class Tagged(flavour.DomainEvent):
        tag: str

    with pytest.raises(ValueError, match="metadata"):
        Tagged(tag="t", metadata={1: "one"})
    assert Tagged(tag="t", metadata={"1": "one"}).metadata == {"1": "one"}


class TestCommandAndQuery:
    def test_messages_are_frozen_with_a_uuid7_id_and_a_registered_name(
        self, flavour: ModuleType
    ) -> None:
        class ReserveSeat(flavour.Command[int], name="cinema.reserve-seat"):
            seat: str

        class FreeSeats(flavour.Query[int]):
            screening: str

        command = ReserveSeat(seat="12A")
        assert command.message_id.version == 7
        assert ReserveSeat.__message_name__ == "cinema.reserve-seat"
        assert FreeSeats(screening="s").message_id != FreeSeats(screening="s").message_id
        with pytest.raises(ImmutableObjectError):
            command.seat = "1A"

    def test_correlation_and_causation_come_from_the_message_context(
        self, flavour: ModuleType
    ) -> None:
        class ReserveSeat(flavour.Command[int]):
            seat: str

        correlation, causation = uuid7(), uuid7()
        with message_context(correlation_id=correlation, causation_id=causation):
            command = ReserveSeat(seat="12A")
        assert (command.correlation_id, command.causation_id) == (correlation, causation)
        assert ReserveSeat(seat="1A").correlation_id is None

    def test_a_decoded_message_without_its_id_is_refused(self, flavour: ModuleType) -> None:
        class ReserveSeat(flavour.Command[int]):
            seat: str

        command = ReserveSeat(seat="12A")
        assert JsonCodec().decode(JsonCodec().encode(command), ReserveSeat) == command
        with pytest.raises(MessageDecodeError, match="message_id"):
            JsonCodec().decode(b'{"seat": "1A"}', ReserveSeat)
