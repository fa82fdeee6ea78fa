"""The type registry maps names to classes, refuses ambiguity and never imports."""

import pytest

from tactica import DuplicateMessageTypeError, TypeRegistry, UnknownMessageTypeError
from tactica.dataclasses import DomainEvent


class CartCreated(DomainEvent, name="carts.created", aliases=("CartOpened", "carts.opened")):
    cart_id: str


class CartClosed(DomainEvent, name="carts.closed"):
    cart_id: str


class CartEvent(DomainEvent):
    cart_id: str


class ItemAdded(CartEvent, name="carts.item_added"):
    sku: str


class ItemRemoved(CartEvent, name="carts.item_removed"):
    sku: str


class GiftItemAdded(ItemAdded, name="carts.gift_item_added"):
    message: str


def test_resolves_names_and_aliases() -> None:
    """A class answers to its registered name and to every alias it declares."""
    registry = TypeRegistry([CartCreated, CartClosed])
    assert registry.resolve("carts.created") is CartCreated
    assert registry.resolve("CartOpened") is CartCreated
    assert registry.resolve("carts.opened") is CartCreated
    assert registry.name_of(CartCreated) == "carts.created"
    assert "carts.closed" in registry
    assert CartClosed in registry
    assert len(registry) == 2
    assert set(registry) == {CartCreated, CartClosed}


def test_unknown_names_raise_a_typed_error() -> None:
    """An unregistered name (or a non-string) is an UnknownMessageTypeError."""
    registry = TypeRegistry([CartCreated])
    with pytest.raises(UnknownMessageTypeError, match=r"carts\.deleted") as caught:
        registry.resolve("carts.deleted")
    assert caught.value.type_name == "carts.deleted"
    with pytest.raises(UnknownMessageTypeError):
        registry.resolve(["carts.created"])  # type: ignore[arg-type]
    with pytest.raises(UnknownMessageTypeError):
        registry.name_of(CartClosed)


def test_a_huge_unknown_name_is_truncated_in_the_message() -> None:
    """Hostile input cannot blow up log lines."""
    with pytest.raises(UnknownMessageTypeError) as caught:
        TypeRegistry().resolve("x" * 10_000)
    assert len(str(caught.value)) < 500


def test_registering_again_is_harmless() -> None:
    """Registration is idempotent."""
    registry = TypeRegistry([CartCreated])
    registry.register(CartCreated, CartCreated)
    assert len(registry) == 1


def test_two_classes_cannot_share_a_name_or_alias() -> None:
    """Ambiguity is refused before anything is registered."""

    class Impostor(DomainEvent, name="carts.opened"):
        cart_id: str

    class Innocent(DomainEvent, name="carts.innocent"):
        cart_id: str

    registry = TypeRegistry([CartCreated])
    with pytest.raises(DuplicateMessageTypeError, match=r"carts\.opened.*name=") as caught:
        registry.register(Innocent, Impostor)
    assert "Impostor" in str(caught.value)
    assert Innocent not in registry


def test_register_subclasses_takes_a_whole_event_family() -> None:
    """Every subclass, however deep, is registered; the base itself is not."""
    registry = TypeRegistry()
    registry.register_subclasses(CartEvent)
    assert set(registry) == {ItemAdded, ItemRemoved, GiftItemAdded}


def test_repr_counts_types_and_names() -> None:
    """The repr is short and informative."""
    assert repr(TypeRegistry([CartCreated])) == "TypeRegistry(<1 types, 3 names>)"
