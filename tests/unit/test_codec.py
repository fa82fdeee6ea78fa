"""The JSON codec round-trips rich values exactly and turns every bad input into a typed error."""

import importlib
import math
import os
import pickle
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest

from tactica import (
    InvalidMessageError,
    JsonCodec,
    MessageDecodeError,
    MessageEncodeError,
    SerializationError,
    TypeRegistry,
    UnknownMessageTypeError,
    uuid7,
)


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@pytest.fixture(params=["dataclasses", "pydantic"])
def flavour(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"tactica.{request.param}")


def make_types(flavour: ModuleType) -> tuple[Any, Any]:
    class Price(flavour.ValueObject):
        amount: Decimal
        currency: str

    class ItemPriced(flavour.DomainEvent, name="items.priced"):
        item_id: UUID
        price: Price
        colour: Colour
        tags: tuple[str, ...]
        valid_from: datetime
        weight: float = 1.0
        note: str | None = None

    return Price, ItemPriced


def sample(flavour: ModuleType) -> Any:
    price, item_priced = make_types(flavour)
    return item_priced(
        item_id=uuid7(),
        price=price(amount=Decimal("19.90"), currency="EUR"),
        colour=Colour.BLUE,
        tags=("new", "sale"),
        valid_from=datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        metadata={"tenant": "acme", "trace": [1, 2.5, None]},
    )


def test_rich_values_round_trip_exactly(flavour: ModuleType) -> None:
    """UUIDs, aware datetimes, Decimals, enums, nested values and tuples survive unchanged."""
    event = sample(flavour)
    codec = JsonCodec(TypeRegistry([type(event)]))
    decoded = codec.decode_named("items.priced", codec.encode(event))
    assert decoded == event
    assert decoded.price.amount == Decimal("19.90")
    assert str(decoded.price.amount) == "19.90"
    assert decoded.valid_from.utcoffset() == timedelta(hours=2)
    assert decoded.tags == ("new", "sale")
    assert decoded.colour is Colour.BLUE
    assert decoded.metadata == {"tenant": "acme", "trace": (1, 2.5, None)}


def test_both_flavours_write_the_same_json(flavour: ModuleType) -> None:
    """The stored form does not depend on the flavour, so data can move between them."""
    other = "pydantic" if flavour.__name__.endswith("dataclasses") else "dataclasses"
    event = sample(flavour)
    codec = JsonCodec()
    _, other_type = make_types(importlib.import_module(f"tactica.{other}"))
    assert codec.encode(codec.decode(codec.encode(event), other_type)) == codec.encode(event)


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        (b"not json", None, "malformed|invalid"),
        (b'{"item_id": "', None, "truncated|EOF|malformed|invalid"),
        (b"[1, 2]", None, "object|dict"),
        (b"42", None, "object|dict"),
        (b"\xff\xfe{}", None, "malformed|invalid|utf"),
        (b'{"item_id": "' + b"\\ud800" + b'"}', None, "truncated|invalid|malformed|surrogate"),
        (b"[" * 100_000 + b"]" * 100_000, None, "object|deep|recursion|dict"),
        (b'{"note": "no id"}', "", "missing|required"),
    ],
)
def test_bad_documents_raise_a_typed_error_naming_type_and_field(
    flavour: ModuleType, payload: bytes, field: str | None, reason: str
) -> None:
    """Malformed, truncated, mis-shaped or hostile documents all become MessageDecodeError."""
    _, item_priced = make_types(flavour)
    with pytest.raises(MessageDecodeError, match=f"(?i){reason}") as caught:
        JsonCodec().decode(payload, item_priced)
    assert caught.value.type_name == "items.priced"
    if field:
        assert caught.value.field is not None
        assert field in caught.value.field


def good_document(flavour: ModuleType, **overrides: Any) -> bytes:
    import json

    document = json.loads(JsonCodec().encode(sample(flavour)))
    document.update(overrides)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"item_id": "not-a-uuid"}, "item_id"),
        ({"weight": "1.5"}, "weight"),
        ({"tags": "new"}, "tags"),
        ({"colour": "green"}, "colour"),
        ({"price": {"amount": "1"}}, "price"),
        ({"note": 5}, "note"),
        ({"valid_from": "yesterday"}, "valid_from"),
    ],
)
def test_wrong_field_types_name_the_field(
    flavour: ModuleType, override: dict[str, Any], field: str
) -> None:
    """A field of the wrong type is reported with its JSON path."""
    _, item_priced = make_types(flavour)
    with pytest.raises(MessageDecodeError) as caught:
        JsonCodec().decode(good_document(flavour, **override), item_priced)
    assert caught.value.field is not None
    assert field in caught.value.field


def test_strings_and_booleans_are_not_numbers(flavour: ModuleType) -> None:
    """Decoding is strict: "1" is not an int and true is not 1."""

    class Counted(flavour.DomainEvent):
        count: int

    for wrong in (b'{"count": "1"}', b'{"count": true}', b'{"count": 1.5}'):
        with pytest.raises(MessageDecodeError, match=r"count|int"):
            JsonCodec().decode(wrong, Counted)


def test_unknown_fields_are_ignored_on_decode(flavour: ModuleType) -> None:
    """An older reader accepts documents in which a newer writer added fields."""
    _, item_priced = make_types(flavour)
    decoded = JsonCodec().decode(good_document(flavour, added_later="x"), item_priced)
    assert decoded.tags == ("new", "sale")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_when_encoding(flavour: ModuleType, bad: float) -> None:
    """JSON cannot hold them; writing null instead would silently change the value."""
    event = sample(flavour)
    item_priced = type(event)
    values = {name: getattr(event, name) for name in ("item_id", "price", "colour", "tags")}
    codec = JsonCodec()
    if flavour.__name__.endswith("dataclasses"):
        with pytest.raises(MessageEncodeError, match=r"\$\.weight"):
            codec.encode(item_priced(**values, valid_from=event.valid_from, weight=bad))
    else:  # pydantic refuses them already on construction (allow_inf_nan=False)
        with pytest.raises(ValueError, match="finite"):
            item_priced(**values, valid_from=event.valid_from, weight=bad)
    with pytest.raises(InvalidMessageError, match=r"metadata\.x\[1\]\.y is"):
        item_priced(**values, valid_from=event.valid_from, metadata={"x": [1, {"y": bad}]})


def test_bad_input_errors_are_serialization_errors() -> None:
    """One except clause catches every codec failure."""
    for error in (MessageDecodeError, MessageEncodeError, UnknownMessageTypeError):
        assert issubclass(error, SerializationError)


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(os.system, protocol=4),
        b'{"py/object": "os.system", "py/reduce": [{"py/function": "os.system"}, ["id"]]}',
        b"!!python/object/apply:os.system ['id']",
    ],
    ids=["pickle", "jsonpickle", "yaml"],
)
def test_serialized_objects_are_data_never_code(
    flavour: ModuleType, payload: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pickle, jsonpickle and YAML object payloads are refused without running anything."""
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))
    _, item_priced = make_types(flavour)
    with pytest.raises(MessageDecodeError):
        JsonCodec().decode(payload, item_priced)
    assert calls == []


@pytest.mark.parametrize(
    "name",
    ["os:system", "os.system", "builtins:eval", "subprocess:Popen", "importlib:import_module"],
)
def test_type_names_from_data_are_never_imported(name: str) -> None:
    """Resolving a hostile type name fails in the registry and imports nothing."""
    codec = JsonCodec(TypeRegistry())
    with pytest.raises(UnknownMessageTypeError, match="unknown message type"):
        codec.decode_named(name, b"{}")


def test_resolving_a_module_name_does_not_load_the_module() -> None:
    """Proven in a fresh interpreter: the named module is still absent afterwards."""
    script = (
        "import sys\n"
        "from tactica import JsonCodec, UnknownMessageTypeError\n"
        "try:\n"
        "    JsonCodec().decode_named('xml.dom.minidom:parseString', b'{}')\n"
        "except UnknownMessageTypeError:\n"
        "    pass\n"
        "print('xml.dom.minidom' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_unsupported_values_raise_an_encode_error() -> None:
    """A value msgspec cannot represent is a MessageEncodeError, not a bare TypeError."""
    from tactica.dataclasses import DomainEvent

    class Odd(DomainEvent):
        payload: Any

    with pytest.raises(MessageEncodeError, match="Odd"):
        JsonCodec().encode(Odd(payload=object()))


def test_a_class_msgspec_cannot_describe_is_a_serialization_error() -> None:
    """Asking to decode into an unsupported type fails with a typed error."""

    class NotSerializable:
        def __init__(self, handle: object) -> None:
            self.handle = handle

    with pytest.raises(SerializationError):
        JsonCodec().decode(b"{}", NotSerializable)


def _without(document: bytes, *fields: str) -> bytes:
    import json

    parsed = json.loads(document)
    for name in fields:
        del parsed[name]
    return json.dumps(parsed).encode()


@pytest.mark.parametrize("missing", ["event_id", "occurred_at"])
def test_a_decoded_event_never_gets_a_fresh_identity(flavour: ModuleType, missing: str) -> None:
    """Stored data without its id or timestamp is an error, not a brand-new event."""
    event = sample(flavour)
    document = _without(JsonCodec().encode(event), missing)
    with pytest.raises(MessageDecodeError, match="required field is missing") as caught:
        JsonCodec().decode(document, type(event))
    assert caught.value.field == f"$.{missing}"


def test_a_decoded_event_does_not_pick_up_the_readers_message_context(
    flavour: ModuleType,
) -> None:
    from tactica import message_context

    event = sample(flavour)
    document = _without(JsonCodec().encode(event), "correlation_id", "causation_id")
    with message_context(correlation_id=uuid7(), causation_id=uuid7()):
        decoded = JsonCodec().decode(document, type(event))
        created_here = type(event)(**{**_fields(event), "event_id": uuid7()})
    assert decoded.correlation_id is None
    assert decoded.causation_id is None
    assert created_here.correlation_id is not None, "outside decoding the context still applies"


def _fields(event: Any) -> dict[str, Any]:
    names = ("item_id", "price", "colour", "tags", "valid_from", "metadata")
    return {name: getattr(event, name) for name in names}


def test_a_decoded_entity_without_its_id_is_an_error(flavour: ModuleType) -> None:
    class Shelf(flavour.Entity[UUID]):
        label: str

    with pytest.raises(MessageDecodeError, match="required field is missing") as caught:
        JsonCodec().decode(b'{"label": "top"}', Shelf)
    assert caught.value.field == "$.id"
    assert Shelf(label="top").id.version == 7, "construction still generates the id"


def test_a_wrong_field_is_reported_before_a_missing_envelope_field(flavour: ModuleType) -> None:
    """With several problems, the one in the payload is the useful one to name."""
    _, item_priced = make_types(flavour)
    document = _without(good_document(flavour, item_id="not-a-uuid"), "event_id")
    with pytest.raises(MessageDecodeError) as caught:
        JsonCodec().decode(document, item_priced)
    assert caught.value.field == "$.item_id"


def test_invalid_utf8_inside_a_string_is_a_decode_error(flavour: ModuleType) -> None:
    class Labelled(flavour.ValueObject):
        label: str

    with pytest.raises(MessageDecodeError):
        JsonCodec().decode(b'{"label": "\xff\xfe"}', Labelled)


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_numbers_in_untyped_fields_are_refused_on_decode(
    flavour: ModuleType, number: bytes
) -> None:
    """What cannot be encoded must not be decoded either, whatever the parser tolerates."""
    event = sample(flavour)
    document = (
        JsonCodec().encode(event).replace(b'"trace":[1,2.5,null]', b'"trace":[' + number + b"]")
    )
    assert number in document
    with pytest.raises(MessageDecodeError):
        JsonCodec().decode(document, type(event))


def test_a_cycle_in_an_untyped_field_is_an_encode_error_not_a_hang(flavour: ModuleType) -> None:
    class Carrying(flavour.ValueObject):
        payload: Any

    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(MessageEncodeError, match=r"(?i)cycle|circular|recursion"):
        JsonCodec().encode(Carrying(payload=loop))


def test_event_metadata_is_frozen_all_the_way_down(flavour: ModuleType) -> None:
    """Nothing inside an event's metadata can change, so encoding need not re-check it."""
    event = sample(flavour)
    assert event.metadata["trace"] == (1, 2.5, None)
    nested = type(event)(**{**_fields(event), "metadata": {"a": {"b": [1, {"c": 2}]}}})
    inner = nested.metadata["a"]
    assert type(inner).__name__ == "FrozenDict"
    assert inner["b"] == (1, {"c": 2})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(InvalidMessageError, match="nested more than"):
        type(event)(**{**_fields(event), "metadata": {"loop": loop}})


def test_an_assertion_in_check_invariants_is_a_decode_error(flavour: ModuleType) -> None:
    class Positive(flavour.ValueObject):
        value: int

        def check_invariants(self) -> None:
            assert self.value > 0, "value must be positive"

    with pytest.raises(MessageDecodeError, match="value must be positive"):
        JsonCodec().decode(b'{"value": -1}', Positive)


def test_frozen_dict_fields_round_trip_and_their_values_are_still_checked() -> None:
    """A FrozenDict field decodes to a FrozenDict; a value of the wrong type is refused."""
    from tactica.dataclasses import ValueObject
    from tactica.domain.frozendict import FrozenDict
    from tactica.errors import MessageDecodeError

    class Seats(ValueObject):
        taken: FrozenDict[str, int]

    codec = JsonCodec()
    seats = Seats(taken=FrozenDict({"12A": 1}))
    decoded = codec.decode(codec.encode(seats), Seats)
    assert decoded == seats
    assert type(decoded.taken) is FrozenDict
    with pytest.raises(MessageDecodeError, match="Expected `int`"):
        codec.decode(b'{"taken":{"12A":"x"}}', Seats)


def _fresh_interpreter(script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_tactica_codec_loads_neither_pydantic_nor_its_flavour() -> None:
    """The pydantic format comes with the flavour, which the codec (below it) never imports."""
    script = (
        "import sys\n"
        "import tactica.codec\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in {'pydantic', 'pydantic_core'}"
        " or n == 'tactica.pydantic' or n.startswith('tactica.pydantic.')))\n"
    )
    assert _fresh_interpreter(script) == "[]"


def test_a_plain_pydantic_model_asks_for_the_flavour_until_it_is_imported() -> None:
    """Without `tactica.pydantic` no format knows the model: a SerializationError says so."""
    script = (
        "from pydantic import BaseModel\n"
        "from tactica import JsonCodec, SerializationError\n"
        "class Plain(BaseModel):\n"
        "    units: int\n"
        "try:\n"
        "    JsonCodec().encode(Plain(units=1))\n"
        "except SerializationError as error:\n"
        "    print(error)\n"
        "import tactica.pydantic\n"
        "codec = JsonCodec()\n"
        "print(codec.decode(codec.encode(Plain(units=2)), Plain))\n"
    )
    refused, decoded = _fresh_interpreter(script).splitlines()
    assert "Plain is a pydantic model" in refused
    assert "`import tactica.pydantic`" in refused
    assert decoded == "units=2"


def test_a_plain_pydantic_model_round_trips_once_the_flavour_is_loaded() -> None:
    from pydantic import BaseModel

    import tactica.pydantic  # noqa: F401 - registers the pydantic format

    class Plain(BaseModel):
        units: int
        note: str | None = None

    codec = JsonCodec()
    assert codec.encode(Plain(units=3)) == b'{"units":3,"note":null}'
    assert codec.decode(b'{"units":3,"extra":1}', Plain) == Plain(units=3)
