"""Upcasting: stored events of older schema versions reach the current one, or fail typed.

The bank events below changed twice. ``bank.deposited`` was ``DepositMade`` until v3 (kept
as an alias): v1 wrote ``account`` and ``cents``, v2 renamed ``account`` to ``account_id``,
v3 stores a Decimal ``amount`` and a ``currency``. ``bank.withdrawn`` went from ``cents``
(v1) to ``amount`` (v2). Each test declares its classes in the flavour it runs in.
"""

import copy
import functools
import importlib
import json
import os
import pickle
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tactica import (
    ConfigurationError,
    JsonCodec,
    MessageDecodeError,
    SerializationError,
    TypeRegistry,
    UnknownMessageTypeError,
    UpcastError,
    Upcasters,
)
from tactica.codec import decode_stored
from tactica.errors import (
    DuplicateUpcasterError,
    FutureSchemaVersionError,
    UnknownUpcasterTypeError,
    UpcasterBeyondCurrentVersionError,
    UpcasterGapError,
)

FLAVOURS = ["dataclasses", "pydantic"]
EVENT_ID = UUID("0195d8e2-7d0a-7c2e-8000-000000000001")
IDENTITY = {"event_id": str(EVENT_ID), "occurred_at": "2026-01-01T09:30:00Z"}


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"tactica.{request.param}")


@functools.cache
def bank_events(flavour_name: str) -> tuple[Any, Any]:
    """The current classes, declared once per flavour (the property test reuses them)."""
    flavour = importlib.import_module(f"tactica.{flavour_name}")

    class Deposited(
        flavour.DomainEvent, name="bank.deposited", aliases=("DepositMade",), version=3
    ):
        account_id: str
        amount: Decimal
        currency: str

    class Withdrawn(flavour.DomainEvent, name="bank.withdrawn", version=2):
        account_id: str
        amount: Decimal

    return Deposited, Withdrawn


def _name(flavour: ModuleType) -> str:
    return flavour.__name__.rpartition(".")[2]


def rename_account(data: dict[str, Any]) -> dict[str, Any]:
    data["account_id"] = data.pop("account")
    return data


def cents_to_euros(data: dict[str, Any]) -> dict[str, Any]:
    data["amount"] = str(Decimal(data.pop("cents")).scaleb(-2))
    data["currency"] = "EUR"
    return data


def withdrawal_cents_to_amount(data: dict[str, Any]) -> dict[str, Any]:
    data["amount"] = str(Decimal(data.pop("cents")).scaleb(-2))
    return data


def bank_upcasters() -> Upcasters:
    upcasters = Upcasters()
    upcasters.register("DepositMade", from_version=1)(rename_account)
    upcasters.register("bank.deposited", from_version=2)(cents_to_euros)
    upcasters.register("bank.withdrawn", from_version=1)(withdrawal_cents_to_amount)
    return upcasters


def bank_codec(flavour_name: str) -> tuple[JsonCodec, Upcasters]:
    codec = JsonCodec(TypeRegistry(bank_events(flavour_name)))
    upcasters = bank_upcasters()
    upcasters.validate(codec.registry)
    return codec, upcasters


def versioned(flavour: ModuleType, name: str, version: int) -> Any:
    class Versioned(flavour.DomainEvent, name=name, version=version):
        value: int = 0

    return Versioned


def identity(**fields: Any) -> dict[str, Any]:
    return {**IDENTITY, **fields}


def stored(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


# --- applying chains ------------------------------------------------------------------------


def test_a_chain_runs_every_step_up_to_the_current_version(flavour: ModuleType) -> None:
    """A v1 document goes through v1->v2 and v2->v3 and comes out at version 3."""
    _, upcasters = bank_codec(flavour.__name__.rpartition(".")[2])
    assert upcasters.upcast("DepositMade", 1, {"account": "acc-1", "cents": 1250}) == (
        "bank.deposited",
        3,
        {"account_id": "acc-1", "amount": "12.50", "currency": "EUR"},
    )
    assert upcasters.upcast("DepositMade", 2, {"account_id": "acc-1", "cents": 5}) == (
        "bank.deposited",
        3,
        {"account_id": "acc-1", "amount": "0.05", "currency": "EUR"},
    )


def test_a_renamed_type_is_read_under_its_old_name_through_the_registry_alias(
    flavour: ModuleType,
) -> None:
    """Steps registered under the old name and the new one form one chain for the class."""
    _, upcasters = bank_codec(_name(flavour))
    name, version, _ = upcasters.upcast("DepositMade", 2, {"account_id": "a", "cents": 1})
    assert (name, version) == ("bank.deposited", 3)
    name, version, _ = upcasters.upcast("bank.deposited", 1, {"account": "a", "cents": 1})
    assert (name, version) == ("bank.deposited", 3)


def test_a_document_at_the_current_version_is_returned_as_is(flavour: ModuleType) -> None:
    """No step runs and no copy is made when nothing needs upcasting."""
    _, upcasters = bank_codec(_name(flavour))
    document = {"account_id": "a", "amount": "1", "currency": "EUR"}
    name, version, result = upcasters.upcast("DepositMade", 3, document)
    assert (name, version) == ("bank.deposited", 3)
    assert result is document


def test_upcasters_never_change_the_callers_document(flavour: ModuleType) -> None:
    """Steps that change their input in place work on a deep copy the caller never sees."""
    _, withdrawn = bank_events(_name(flavour))

    def mutate_everything(data: dict[str, Any]) -> dict[str, Any]:
        data["nested"]["tags"].append("changed")
        data["nested"]["new"] = True
        data["amount"] = str(data.pop("cents"))
        return data

    upcasters = Upcasters()
    upcasters.register("bank.withdrawn", from_version=1)(mutate_everything)
    upcasters.validate(TypeRegistry([withdrawn]))
    document = {"account_id": "a", "cents": 7, "nested": {"tags": ["old"]}}
    before = copy.deepcopy(document)
    _, _, result = upcasters.upcast("bank.withdrawn", 1, document)
    assert document == before
    assert result["nested"] == {"tags": ["old", "changed"], "new": True}
    assert result["nested"] is not document["nested"]


# --- start-up validation --------------------------------------------------------------------


def test_a_gap_in_a_chain_is_refused_at_start_up_naming_the_missing_step(
    flavour: ModuleType,
) -> None:
    """Steps from v1 and v3 but none from v2, with v4 current, cannot reach the current version."""
    upcasters = Upcasters()
    upcasters.register("bank.gappy", from_version=1)(rename_account)
    upcasters.register("bank.gappy", from_version=3)(cents_to_euros)
    with pytest.raises(UpcasterGapError) as caught:
        upcasters.validate(TypeRegistry([versioned(flavour, "bank.gappy", 4)]))
    message = str(caught.value)
    assert "'bank.gappy'" in message
    assert "current version 4" in message
    assert "no step from version 2 to 3" in message
    assert "@upcasters.register('bank.gappy', from_version=2)" in message
    assert isinstance(caught.value, ConfigurationError)


def test_a_chain_missing_its_last_step_is_a_gap(flavour: ModuleType) -> None:
    """A chain that stops short of the current version is refused too."""
    upcasters = Upcasters()
    upcasters.register("bank.short", from_version=1)(rename_account)
    with pytest.raises(UpcasterGapError, match=r"no step from version 2 to 3"):
        upcasters.validate(TypeRegistry([versioned(flavour, "bank.short", 3)]))


@pytest.mark.parametrize("from_version", [3, 4, 9])
def test_a_step_at_or_beyond_the_current_version_is_refused(
    flavour: ModuleType, from_version: int
) -> None:
    """A step whose target is not the current version (or below it) cannot be needed."""
    upcasters = Upcasters()
    upcasters.register("bank.over", from_version=1)(rename_account)
    upcasters.register("bank.over", from_version=2)(rename_account)
    upcasters.register("bank.over", from_version=from_version)(cents_to_euros)
    with pytest.raises(UpcasterBeyondCurrentVersionError) as caught:
        upcasters.validate(TypeRegistry([versioned(flavour, "bank.over", 3)]))
    message = str(caught.value)
    assert f"from version {from_version} to {from_version + 1}" in message
    assert "at version 3" in message
    assert f"version={from_version + 1}" in message
    assert "cents_to_euros" in message


@pytest.mark.parametrize("from_version", [0, -1, True, False, "1", 1.0, None])
def test_steps_only_go_up_one_version_so_no_chain_can_loop(from_version: Any) -> None:
    """from_version must be an int >= 1; with steps past the current refused, no cycle exists."""
    with pytest.raises(ConfigurationError, match=r"from_version=<int >= 1>"):
        Upcasters().register("bank.deposited", from_version=from_version)


@pytest.mark.parametrize("type_name", ["", None, 3])
def test_the_type_name_must_be_a_non_empty_string(type_name: Any) -> None:
    """A step is keyed by the event's registered name (or an alias), a string."""
    with pytest.raises(ConfigurationError, match="non-empty str"):
        Upcasters().register(type_name, from_version=1)


def test_a_second_upcaster_for_the_same_step_is_refused_when_registered() -> None:
    """One version takes exactly one step; the message names both functions."""
    upcasters = Upcasters()
    upcasters.register("bank.deposited", from_version=2)(cents_to_euros)
    with pytest.raises(DuplicateUpcasterError) as caught:
        upcasters.register("bank.deposited", from_version=2)(rename_account)
    assert "cents_to_euros" in str(caught.value)
    assert "rename_account" in str(caught.value)
    assert isinstance(caught.value, ConfigurationError)


def test_the_same_step_registered_under_an_alias_and_the_name_is_a_duplicate(
    flavour: ModuleType,
) -> None:
    """DepositMade and bank.deposited are one class, so two v1 steps for them collide."""
    upcasters = Upcasters()
    upcasters.register("DepositMade", from_version=1)(rename_account)
    upcasters.register("bank.deposited", from_version=1)(cents_to_euros)
    upcasters.register("bank.deposited", from_version=2)(cents_to_euros)
    with pytest.raises(DuplicateUpcasterError) as caught:
        upcasters.validate(TypeRegistry(bank_events(_name(flavour))))
    message = str(caught.value)
    assert "'DepositMade'" in message
    assert "'bank.deposited'" in message
    assert "two upcasters from version 1" in message


def test_registering_the_same_function_again_and_including_twice_are_harmless(
    flavour: ModuleType,
) -> None:
    """Repeating a registration (or merging a registry twice) adds nothing."""
    module_upcasters = bank_upcasters()
    module_upcasters.register("DepositMade", from_version=1)(rename_account)
    upcasters = Upcasters(module_upcasters, module_upcasters)
    assert len(upcasters) == 3
    upcasters.validate(TypeRegistry(bank_events(_name(flavour))))
    assert upcasters.registry is not None


def test_including_a_conflicting_registry_is_refused() -> None:
    """Registries declared in different modules merge like handler registries."""
    other = Upcasters()
    other.register("bank.withdrawn", from_version=1)(rename_account)
    with pytest.raises(DuplicateUpcasterError):
        Upcasters(bank_upcasters(), other)


def test_an_upcaster_for_an_unknown_type_is_refused_at_start_up(flavour: ModuleType) -> None:
    """Names resolve through the registry only; the message says to register or alias it."""
    upcasters = bank_upcasters()
    upcasters.register("bank.refunded", from_version=1)(rename_account)
    with pytest.raises(UnknownUpcasterTypeError, match=r"'bank\.refunded'.*aliases"):
        upcasters.validate(TypeRegistry(bank_events(_name(flavour))))


def test_upcasters_must_be_validated_before_use_and_are_frozen_after(flavour: ModuleType) -> None:
    """Validation is the start-up step; adding a step afterwards would bypass it."""
    upcasters = bank_upcasters()
    assert "not validated" in repr(upcasters)
    with pytest.raises(ConfigurationError, match=r"validate\(registry\)"):
        upcasters.upcast("bank.withdrawn", 1, {"cents": 1})
    upcasters.validate(TypeRegistry(bank_events(_name(flavour))))
    assert repr(upcasters) == "Upcasters(<3 upcasters, validated>)"
    with pytest.raises(ConfigurationError, match="already validated"):
        upcasters.register("bank.withdrawn", from_version=1)(rename_account)


def test_a_type_with_no_upcasters_at_a_later_version_is_valid(flavour: ModuleType) -> None:
    """A class may start life at version 3; only chains that exist must be complete."""
    upcasters = Upcasters()
    upcasters.validate(TypeRegistry([versioned(flavour, "bank.fresh", 3)]))
    assert upcasters.upcast("bank.fresh", 3, {"value": 1}) == ("bank.fresh", 3, {"value": 1})


# --- errors while reading -------------------------------------------------------------------


def test_a_future_version_is_a_typed_error_naming_event_versions_and_stream(
    flavour: ModuleType,
) -> None:
    """An event written by newer code is refused, never guessed at."""
    _, upcasters = bank_codec(_name(flavour))
    with pytest.raises(FutureSchemaVersionError) as caught:
        upcasters.upcast("DepositMade", 4, {}, event_id=EVENT_ID, stream_id="account-7")
    error = caught.value
    assert isinstance(error, UpcastError)
    assert isinstance(error, SerializationError)
    assert (error.type_name, error.stored_version, error.current_version) == (
        "DepositMade",
        4,
        3,
    )
    assert error.event_id == EVENT_ID
    assert error.stream_id == "account-7"
    message = str(error)
    assert str(EVENT_ID) in message
    assert "'account-7'" in message
    assert "schema version 4 as version 3" in message
    assert "version=4" in message


def test_a_missing_step_at_read_time_is_a_typed_error_naming_the_step(flavour: ModuleType) -> None:
    """A chain may start above v1; an event older than its start cannot be read."""
    _, withdrawn = bank_events(_name(flavour))
    upcasters = Upcasters()
    upcasters.validate(TypeRegistry([withdrawn]))
    with pytest.raises(UpcastError) as caught:
        upcasters.upcast("bank.withdrawn", 1, {"cents": 1}, event_id=EVENT_ID)
    assert not isinstance(caught.value, FutureSchemaVersionError)
    message = str(caught.value)
    assert "bank.withdrawn" in message
    assert str(EVENT_ID) in message
    assert "no upcaster from version 1 to 2" in message
    assert "from_version=1" in message


@pytest.mark.parametrize("version", [0, -3, True, "2", 2.0, None])
def test_a_malformed_stored_version_is_a_typed_error(flavour: ModuleType, version: Any) -> None:
    """Stored versions are ints >= 1; anything else is refused before any step runs."""
    _, upcasters = bank_codec(_name(flavour))
    with pytest.raises(UpcastError, match=r"int >= 1"):
        upcasters.upcast("bank.withdrawn", version, {"cents": 1})


def test_a_raising_upcaster_names_the_event_and_leaves_no_half_upcast_document(
    flavour: ModuleType,
) -> None:
    """The second step fails after the first changed the copy: the caller sees only the error."""
    upcasters = Upcasters()
    upcasters.register("DepositMade", from_version=1)(rename_account)

    def broken(data: dict[str, Any]) -> dict[str, Any]:
        return {"amount": data["no such field"]}

    upcasters.register("bank.deposited", from_version=2)(broken)
    upcasters.validate(TypeRegistry(bank_events(_name(flavour))))
    document = {"account": "acc-1", "cents": 1}
    with pytest.raises(UpcastError) as caught:
        upcasters.upcast("DepositMade", 1, document, event_id=EVENT_ID, stream_id="acc-1")
    message = str(caught.value)
    assert "DepositMade" in message
    assert str(EVENT_ID) in message
    assert "from version 2 to 3 raised KeyError" in message
    assert "broken" in message
    assert isinstance(caught.value.__cause__, KeyError)
    assert document == {"account": "acc-1", "cents": 1}


@pytest.mark.parametrize("returned", [None, [("a", 1)], "{}"])
def test_an_upcaster_returning_something_other_than_a_dict_is_refused(
    flavour: ModuleType, returned: Any
) -> None:
    """A step that forgets to return the document fails loudly, not with a None payload."""
    _, withdrawn = bank_events(_name(flavour))
    upcasters = Upcasters()
    upcasters.register("bank.withdrawn", from_version=1)(lambda _data: returned)
    upcasters.validate(TypeRegistry([withdrawn]))
    with pytest.raises(UpcastError, match=r"not a dict"):
        upcasters.upcast("bank.withdrawn", 1, {"cents": 1})


# --- decoding stored events -----------------------------------------------------------------


def test_old_events_decode_into_current_events_in_both_flavours(flavour: ModuleType) -> None:
    """Stored v1, v2 and v3 documents all decode into the same current event."""
    flavour_name = flavour.__name__.rpartition(".")[2]
    deposited, withdrawn = bank_events(flavour_name)
    codec, upcasters = bank_codec(flavour_name)
    expected = deposited(
        event_id=EVENT_ID,
        occurred_at=datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
        account_id="acc-1",
        amount=Decimal("12.50"),
        currency="EUR",
    )
    for type_name, version, document in [
        ("DepositMade", 1, identity(account="acc-1", cents=1250)),
        ("DepositMade", 2, identity(account_id="acc-1", cents=1250)),
        ("bank.deposited", 3, identity(account_id="acc-1", amount="12.50", currency="EUR")),
    ]:
        event = decode_stored(codec, upcasters, type_name, version, stored(document))
        assert type(event) is deposited
        assert event == expected
    payload = stored(identity(account_id="a", cents=3))
    event = decode_stored(codec, upcasters, "bank.withdrawn", 1, payload)
    assert type(event) is withdrawn
    assert event.amount == Decimal("0.03")


def test_the_current_version_decodes_straight_from_the_bytes(
    flavour: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path neither parses the payload into a dict nor looks at the upcasters."""
    import tactica.codec._upcasting as upcasting

    def no_parsing(*_args: object) -> None:
        raise AssertionError("parsed on the fast path")

    monkeypatch.setattr(upcasting, "_parse", no_parsing)
    codec, upcasters = bank_codec(_name(flavour))
    payload = stored(identity(account_id="a", amount="1", currency="EUR"))
    assert decode_stored(codec, upcasters, "bank.deposited", 3, payload).amount == Decimal(1)
    assert decode_stored(codec, None, "DepositMade", 3, payload).account_id == "a"


def test_an_upcast_document_that_does_not_decode_names_the_field(flavour: ModuleType) -> None:
    """A step that forgets a field gives UpcastError naming it, with the decode error as cause."""
    flavour_name = flavour.__name__.rpartition(".")[2]
    codec = JsonCodec(TypeRegistry(bank_events(flavour_name)))
    upcasters = Upcasters()
    upcasters.register("bank.withdrawn", from_version=1)(lambda data: data)  # keeps "cents"
    upcasters.validate(codec.registry)
    payload = stored(identity(account_id="a", cents=1))
    with pytest.raises(UpcastError) as caught:
        decode_stored(codec, upcasters, "bank.withdrawn", 1, payload, event_id=EVENT_ID)
    message = str(caught.value)
    assert "does not decode as version 2" in message
    assert "amount" in message
    assert str(EVENT_ID) in message
    assert isinstance(caught.value.__cause__, MessageDecodeError)


def test_an_upcast_document_that_cannot_be_written_as_json_is_an_upcast_error(
    flavour: ModuleType,
) -> None:
    """Upcasters must return JSON values; an arbitrary object is refused, typed."""
    codec = JsonCodec(TypeRegistry(bank_events(_name(flavour))))
    upcasters = Upcasters()
    upcasters.register("bank.withdrawn", from_version=1)(lambda data: {**data, "x": object()})
    upcasters.validate(codec.registry)
    with pytest.raises(UpcastError, match="cannot be written as JSON"):
        decode_stored(codec, upcasters, "bank.withdrawn", 1, stored(identity(cents=1)))


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1, 2]", b'"text"', b"\xff", b"[" * 100_000 + b"]" * 100_000],
)
def test_a_malformed_old_payload_is_a_decode_error_naming_the_type(
    flavour: ModuleType, payload: bytes
) -> None:
    """Bytes that are not a JSON object never reach an upcaster."""
    codec, upcasters = bank_codec(_name(flavour))
    with pytest.raises(MessageDecodeError) as caught:
        decode_stored(codec, upcasters, "DepositMade", 1, payload)
    assert caught.value.type_name == "DepositMade"


def test_without_upcasters_only_the_current_version_can_be_read(flavour: ModuleType) -> None:
    """``None`` means no upcasters: older versions name the missing step, newer ones refuse."""
    codec = JsonCodec(TypeRegistry(bank_events(_name(flavour))))
    payload = stored(identity(account_id="a", amount="2"))
    assert decode_stored(codec, None, "bank.withdrawn", 2, payload).amount == Decimal(2)
    with pytest.raises(UpcastError, match="no upcaster from version 1 to 2"):
        decode_stored(codec, None, "bank.withdrawn", 1, payload)
    with pytest.raises(FutureSchemaVersionError):
        decode_stored(codec, None, "bank.withdrawn", 3, payload)


def test_a_future_version_is_refused_before_its_payload_is_parsed(flavour: ModuleType) -> None:
    """Newer code may have changed the format itself, so its bytes are not even read."""
    codec, upcasters = bank_codec(_name(flavour))
    with pytest.raises(FutureSchemaVersionError, match=r"stream 'acc-9'"):
        decode_stored(codec, upcasters, "bank.withdrawn", 7, b"\x00 not json", stream_id="acc-9")


def test_decoding_needs_upcasters_validated_against_the_codecs_registry(
    flavour: ModuleType,
) -> None:
    """Validating against another registry could resolve names to other classes."""
    codec = JsonCodec(TypeRegistry(bank_events(_name(flavour))))
    payload = stored(identity(account_id="a", cents=1))
    unvalidated = bank_upcasters()
    with pytest.raises(ConfigurationError, match="not validated"):
        decode_stored(codec, unvalidated, "bank.withdrawn", 1, payload)
    elsewhere = bank_upcasters()
    elsewhere.validate(TypeRegistry(bank_events(_name(flavour))))
    with pytest.raises(ConfigurationError, match=r"validate\(codec\.registry\)"):
        decode_stored(codec, elsewhere, "bank.withdrawn", 1, payload)


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(os.system, protocol=4),
        b'{"py/object": "os.system", "py/reduce": [{"py/function": "os.system"}, ["id"]]}',
        b"!!python/object/apply:os.system ['id']",
    ],
    ids=["pickle", "jsonpickle", "yaml"],
)
def test_stored_data_is_never_code_on_the_upcasting_path(
    flavour: ModuleType, payload: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hostile type names and payloads at old versions give typed errors; nothing runs."""
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))
    codec, upcasters = bank_codec(_name(flavour))
    for type_name in ("os:system", "subprocess:Popen", "builtins.eval"):
        with pytest.raises(UnknownMessageTypeError):
            decode_stored(codec, upcasters, type_name, 1, payload)
    with pytest.raises(SerializationError):
        decode_stored(codec, upcasters, "DepositMade", 1, payload)
    assert calls == []


# --- G12: random histories across schema versions --------------------------------------------

ACCOUNTS = ("acc-1", "acc-2", "acc-3")

facts = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "withdrawal"]),
        st.sampled_from(ACCOUNTS),
        st.integers(min_value=0, max_value=10**12),
        st.uuids(),
        st.datetimes(
            min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - bounds of a UTC strategy
            max_value=datetime(2100, 1, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
        st.sampled_from([{}, {"tenant": "acme"}, {"trace": [1, {"hop": "a"}]}]),
        st.integers(min_value=1, max_value=3),  # the version the event was written at
    ),
    max_size=25,
)


def write_at(codec: JsonCodec, event: Any, cents: int, version: int) -> tuple[str, int, bytes]:
    """Store `event` as the code of schema `version` wrote it (v3 is today's writer)."""
    document = json.loads(codec.encode(event))
    fixed = {key: document[key] for key in (*IDENTITY, "correlation_id", "causation_id")}
    fixed["metadata"] = document["metadata"]
    if type(event).__name__ == "Deposited":
        if version == 3:
            return "bank.deposited", 3, codec.encode(event)
        key = "account" if version == 1 else "account_id"
        return "DepositMade", version, stored({**fixed, key: event.account_id, "cents": cents})
    if version >= 2:
        return "bank.withdrawn", 2, codec.encode(event)
    return "bank.withdrawn", 1, stored({**fixed, "account_id": event.account_id, "cents": cents})


@pytest.mark.parametrize("flavour_name", FLAVOURS)
@settings(max_examples=60, deadline=None)
@given(history=facts)
def test_histories_written_at_old_versions_replay_like_the_current_ones(
    flavour_name: str, history: list[tuple[Any, ...]]
) -> None:
    """Upcast and decoded, a history stored at random old versions equals it stored today."""
    deposited, withdrawn = bank_events(flavour_name)
    codec, upcasters = bank_codec(flavour_name)
    events: list[Any] = []
    rows: list[tuple[str, int, bytes]] = []
    balances = dict.fromkeys(ACCOUNTS, Decimal(0))
    for kind, account, cents, event_id, occurred_at, metadata, version in history:
        amount = Decimal(cents).scaleb(-2)
        common = {"event_id": event_id, "occurred_at": occurred_at, "metadata": metadata}
        if kind == "deposit":
            event = deposited(**common, account_id=account, amount=amount, currency="EUR")
            balances[account] += amount
        else:
            event = withdrawn(**common, account_id=account, amount=amount)
            balances[account] -= amount
        events.append(event)
        rows.append(write_at(codec, event, cents, version))

    replayed = [
        decode_stored(codec, upcasters, *row, event_id=event.event_id)
        for row, event in zip(rows, events, strict=True)
    ]
    registry = codec.registry
    today = [
        decode_stored(
            codec,
            upcasters,
            registry.name_of(type(event)),
            registry.version_of(type(event)),
            codec.encode(event),
        )
        for event in events
    ]
    assert replayed == events
    assert today == events

    folded = dict.fromkeys(ACCOUNTS, Decimal(0))
    for event in replayed:
        sign = 1 if type(event) is deposited else -1
        folded[event.account_id] += sign * event.amount
    assert folded == balances
