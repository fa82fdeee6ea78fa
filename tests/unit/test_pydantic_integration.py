"""The pydantic flavour inside ordinary pydantic code: errors stay what pydantic users expect."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from tactica.pydantic import ValueObject


class OutOfStock(ValueError):
    pass


class Quantity(ValueObject):
    units: int

    def check_invariants(self) -> None:
        if self.units < 0:
            raise OutOfStock("a quantity cannot be negative")


class Basket(BaseModel):
    quantity: Quantity


class Later(ValueObject):
    units: int


class Either(ValueObject):
    value: Quantity | Later


def test_direct_construction_raises_the_domain_error_itself() -> None:
    with pytest.raises(OutOfStock):
        Quantity(units=-1)


def test_inside_a_plain_model_the_error_is_an_ordinary_validation_error() -> None:
    """A FastAPI body or any plain model gets the 422-style error pydantic would give."""
    with pytest.raises(ValidationError, match="a quantity cannot be negative"):
        Basket(quantity={"units": -1})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize(
    "annotation",
    [list[Quantity], Quantity | None, Annotated[Quantity, Field(description="q")]],
    ids=["list", "optional", "annotated"],
)
def test_type_adapters_around_a_model_report_a_validation_error(annotation: object) -> None:
    adapter: TypeAdapter[object] = TypeAdapter(annotation)
    document = [{"units": -1}] if annotation == list[Quantity] else {"units": -1}
    with pytest.raises(ValidationError, match="a quantity cannot be negative"):
        adapter.validate_python(document)


def test_a_type_adapter_of_the_model_itself_raises_the_domain_error() -> None:
    """It validates with the model's own validator, like Quantity.model_validate."""
    with pytest.raises(OutOfStock):
        TypeAdapter(Quantity).validate_python({"units": -1})


def test_a_union_falls_through_to_the_member_that_accepts_the_value() -> None:
    """A broken invariant is a validation failure, so pydantic tries the next member."""
    either = Either.model_validate({"value": {"units": -1}})
    assert isinstance(either.value, Later)


def test_model_construct_still_checks_and_raises_the_domain_error() -> None:
    with pytest.raises(OutOfStock):
        Quantity.model_construct(units=-1)


def test_a_forced_rebuild_keeps_domain_errors_unwrapped() -> None:
    Quantity.model_rebuild(force=True)
    with pytest.raises(OutOfStock):
        Quantity(units=-1)
    with pytest.raises(OutOfStock):
        Quantity.model_validate({"units": -1})
