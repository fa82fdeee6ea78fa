"""Untyped fields never change type on a round trip (issue 10 item 13).

A field declared ``Any`` (or ``object``, ``dict[str, Any]``, ``list[Any]``, a bare ``dict``,
``Any`` inside a value object or a tuple...) reads back whatever JSON spells, so the codec
refuses, at encode, a value that would come back as another type: a set or a tuple (a list),
bytes (text), a UUID, datetime or Decimal (a string), an int key (a str key), an enum, a
value object. The error is a `MessageEncodeError` naming the field's path and what to do.
JSON's own values round-trip with their types. Event metadata refuses the same values when
the event is made. Both flavours, and through repositories and the outbox.
"""

import importlib
import math
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tactica import (
    FrozenDict,
    InvalidMessageError,
    JsonCodec,
    MessageEncodeError,
    TacticaError,
    TypeRegistry,
)
from tactica.codec._native import class_checkers
from tactica.eventsourcing import EventSourcedRepository, EventSourcedUnitOfWork
from tactica.stores.memory import InMemoryEventStore

FLAVOURS = ["dataclasses", "pydantic"]


class Colour(Enum):
    RED = "red"


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"tactica.{request.param}")


_models: dict[str, SimpleNamespace] = {}


def models(flavour: ModuleType) -> SimpleNamespace:
    """Events with untyped fields in every kind of place, declared once per flavour."""
    found = _models.get(flavour.__name__)
    if found is not None:
        return found

    class Box(flavour.ValueObject):
        inner: Any = None

    class Carried(flavour.DomainEvent, name="tests.untyped.carried", integration=True):
        anything: Any = None
        some_object: object = None
        mapping: dict[str, Any] | None = None
        items: list[Any] | None = None
        pair: tuple[int, Any] | None = None
        bare: dict | None = None  # type: ignore[type-arg]
        box: Box | None = None
        maybe: Any | None = None

    frozen_type: Any = None
    if flavour.__name__ == "tactica.dataclasses":  # pydantic has no schema for FrozenDict

        class Frozen(flavour.ValueObject):
            frozen: FrozenDict[str, Any] | None = None

        frozen_type = Frozen

    class Typed(flavour.DomainEvent, name="tests.untyped.typed"):
        when: datetime
        ids: tuple[uuid.UUID, ...]
        tags: frozenset[str]
        amounts: dict[str, Decimal]
        day: date | None = None

    class Ledger(flavour.EventSourcedAggregate[uuid.UUID, Carried]):
        total: int = 0

        def evolve(self, event: Any) -> None:
            self.total += 1

    found = _models[flavour.__name__] = SimpleNamespace(
        Box=Box, Carried=Carried, Typed=Typed, Ledger=Ledger, Frozen=frozen_type
    )
    return found


def roundtrip(value: Any) -> Any:
    codec = JsonCodec()
    return codec.decode(codec.encode(value), type(value))


REFUSED: list[tuple[object, str]] = [
    ({1, 2}, "a set"),
    (frozenset({1}), "a frozenset"),
    ((1, 2), "a tuple"),
    (b"bytes", "a bytes"),
    (bytearray(b"x"), "a bytearray"),
    (uuid.uuid4(), "uuid.UUID"),
    (datetime(2026, 1, 1, tzinfo=UTC), "datetime.datetime"),
    (date(2026, 1, 1), "datetime.date"),
    (Decimal("1.5"), "decimal.Decimal"),
    (Colour.RED, "Colour"),
    (FrozenDict({"a": 1}), "FrozenDict"),
    ({1: "int key"}, "the key 1"),
    ([1, [2, {"deep": (3,)}]], "a tuple"),
    ({"nested": {"k": {5}}}, "a set"),
]


@pytest.mark.parametrize(("value", "named"), REFUSED, ids=[repr(v)[:20] for v, _ in REFUSED])
@pytest.mark.parametrize(
    "place",
    ["anything", "some_object", "mapping", "items", "pair", "bare", "box", "maybe"],
)
def test_a_value_that_would_change_type_is_refused_where_it_is(
    flavour: ModuleType, value: object, named: str, place: str
) -> None:
    """Wherever the untyped place is, the error names its path, the value and the remedy."""
    m = models(flavour)
    wrapped: dict[str, Any] = {
        "anything": value,
        "some_object": value,
        "mapping": {"k": value},
        "items": [0, value],
        "pair": (1, value),
        "bare": {"k": value},
        "box": m.Box(inner=value),
        "maybe": value,
    }
    expected_path = {
        "anything": "$.anything",
        "some_object": "$.some_object",
        "mapping": "$.mapping.k",
        "items": "$.items[1]",
        "pair": "$.pair[1]",
        "bare": "$.bare.k",
        "box": "$.box.inner",
        "maybe": "$.maybe",
    }[place]
    event = m.Carried(**{place: wrapped[place]})
    with pytest.raises(MessageEncodeError) as caught:
        JsonCodec().encode(event)
    error = caught.value
    assert error.field is not None
    assert error.field.startswith(expected_path)
    assert named in str(error)
    assert "declare" in str(error)
    assert "JSON values" in str(error) or "str keys" in str(error)


@pytest.mark.parametrize(("value", "named"), REFUSED, ids=[repr(v)[:20] for v, _ in REFUSED])
def test_a_frozen_dict_of_untyped_values_is_checked_too(value: object, named: str) -> None:
    """FrozenDict[str, Any] (the dataclass flavour's immutable mapping) holds untyped values."""
    frozen = models(importlib.import_module("tactica.dataclasses")).Frozen
    with pytest.raises(MessageEncodeError, match=r"\$\.frozen\.k") as caught:
        JsonCodec().encode(frozen(frozen=FrozenDict({"k": value})))
    assert named in str(caught.value)


JSON_NATIVE: list[object] = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    -0.0,
    "text",
    "",
    [],
    {},
    [1, "a", None, [2.5, {"k": [False]}]],
    {"a": {"b": [1, 2, {"c": None}]}},
]


@pytest.mark.parametrize("value", JSON_NATIVE, ids=[repr(v)[:20] for v in JSON_NATIVE])
def test_json_values_read_back_with_their_types(flavour: ModuleType, value: object) -> None:
    """JSON's own values in untyped places come back equal and of the same types."""
    m = models(flavour)
    event = m.Carried(
        anything=value,
        mapping={"k": value},
        items=[value],
        box=m.Box(inner=value),
    )
    decoded = roundtrip(event)
    for name in ("anything", "mapping", "items"):
        assert same(getattr(decoded, name), getattr(event, name))
    assert same(decoded.box.inner, value)


def test_typed_fields_are_not_walked(flavour: ModuleType) -> None:
    """Events and aggregates without untyped fields pay for no check at all."""
    m = models(flavour)
    assert class_checkers(m.Typed) == ()
    assert class_checkers(m.Ledger) == (), "the UUID id bound by the generic base is typed"
    typed = m.Typed(
        when=datetime(2026, 1, 1, tzinfo=UTC),
        ids=(uuid.uuid4(),),
        tags=frozenset({"a"}),
        amounts={"x": Decimal("1.10")},
        day=date(2026, 1, 2),
    )
    assert roundtrip(typed) == typed
    assert {name for name, _ in class_checkers(m.Carried)} >= {"anything", "box", "mapping"}


def test_a_plain_container_encoded_by_itself_is_left_to_the_reader() -> None:
    """A tuple of value objects has no declared type at encode: the reader decodes it typed."""
    codec = JsonCodec()
    moments = (datetime(2026, 1, 1, tzinfo=UTC),)
    assert codec.decode(codec.encode(moments), tuple[datetime, ...]) == moments


@pytest.mark.parametrize(
    "value",
    [{1}, b"x", uuid.uuid4(), datetime(2026, 1, 1, tzinfo=UTC), Decimal(1), Colour.RED, object()],
    ids=["set", "bytes", "uuid", "datetime", "decimal", "enum", "object"],
)
def test_event_metadata_refuses_what_json_cannot_carry(flavour: ModuleType, value: object) -> None:
    """Metadata is checked when the event is made: only JSON values, frozen."""
    m = models(flavour)
    with pytest.raises(InvalidMessageError, match=r"metadata\.v.*read back as another type"):
        m.Typed(
            when=datetime(2026, 1, 1, tzinfo=UTC),
            ids=(),
            tags=frozenset(),
            amounts={},
            metadata={"v": value},
        )
    with pytest.raises(InvalidMessageError, match=r"metadata\.a\.b\[0\]"):
        m.Typed(
            when=datetime(2026, 1, 1, tzinfo=UTC),
            ids=(),
            tags=frozenset(),
            amounts={},
            metadata={"a": {"b": [value]}},
        )


def test_a_repository_and_the_outbox_refuse_before_anything_is_stored(
    flavour: ModuleType,
) -> None:
    """A commit whose event holds a set in an Any field stores neither events nor outbox rows."""
    m = models(flavour)
    store = InMemoryEventStore()
    ledger = m.Ledger.blank()
    ledger.apply(m.Carried(anything={1, 2}))
    repository = EventSourcedRepository(m.Ledger, store)
    repository.add(ledger)
    with pytest.raises(MessageEncodeError, match=r"\$\.anything"):
        repository.commit()

    class Ledgers(EventSourcedUnitOfWork):
        def __init__(self) -> None:
            super().__init__(store, codec=JsonCodec(TypeRegistry([m.Carried])))
            self.ledgers = self.event_sourced(m.Ledger)

    with Ledgers() as uow:
        uow.ledgers.add(ledger)
        with pytest.raises(MessageEncodeError, match=r"\$\.anything"):
            uow.commit()
    assert store.stream_version(repository.stream_id(ledger.id)) == 0
    assert store.log.outbox() == []


def same(a: object, b: object) -> bool:
    """Equal, and of the same Python types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        other: dict[Any, Any] = b  # type: ignore[assignment]
        return a.keys() == other.keys() and all(same(v, other[k]) for k, v in a.items())
    if isinstance(a, list | tuple):
        others: Any = b
        return len(a) == len(others) and all(same(x, y) for x, y in zip(a, others, strict=True))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )  # type: ignore[arg-type]
    return a == b


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(),
    st.text(max_size=8),
    st.binary(max_size=4),
    st.uuids(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.decimals(allow_nan=True),
    st.sampled_from([Colour.RED]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.frozensets(st.integers() | st.text(max_size=3), max_size=3),
        st.sets(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=4), children, max_size=4),
        st.dictionaries(st.integers() | st.booleans(), children, max_size=3),
    ),
    max_leaves=12,
)


@pytest.mark.parametrize("flavour_name", FLAVOURS)
@settings(max_examples=200, deadline=None)
@given(value=values)
def test_encode_refuses_or_the_value_reads_back_exactly(flavour_name: str, value: Any) -> None:
    """For any value in any untyped place: a TacticaError, or equal with the same types."""
    m = models(importlib.import_module(f"tactica.{flavour_name}"))
    places = {
        "anything": value,
        "mapping": {"k": value},
        "items": [value],
        "box": m.Box(inner=value),
    }
    for place, wrapped in places.items():
        try:
            event = m.Carried(**{place: wrapped})
        except (TacticaError, ValueError, TypeError):
            continue  # refused on construction (pydantic validates dict[str, Any] keys)
        try:
            data = JsonCodec().encode(event)
        except TacticaError:
            continue
        decoded = JsonCodec().decode(data, m.Carried)
        assert same(getattr(decoded, place), getattr(event, place)), place
