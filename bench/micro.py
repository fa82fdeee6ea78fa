"""Micro-benchmarks: ids, and an event's construct/encode/decode per flavour vs the raw library.

Each tactica operation is paired with the raw library doing the same work on a class with
the same fields, so the ratio is what the flavour adds on top of msgspec or pydantic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

import msgspec
from pydantic import BaseModel, ConfigDict, Field

import tactica
from bench._timing import Batch, sync_batch
from tactica import dataclasses as flavour_dc
from tactica import pydantic as flavour_pd

__all__ = ["FLAVOUR_GOAL", "Case", "Skipped", "cases"]

# From the issue: a flavour may cost at most this multiple of the raw library it wraps.
FLAVOUR_GOAL = 1.3

_utc_now = partial(datetime.now, UTC)

_FIELDS: dict[str, Any] = {
    "order_id": uuid.uuid4(),
    "sku": "SKU-0042",
    "qty": 3,
    "amount": Decimal("19.99"),
}


class DataclassOrderPlaced(flavour_dc.DomainEvent):
    order_id: UUID
    sku: str
    qty: int
    amount: Decimal


class PydanticOrderPlaced(flavour_pd.DomainEvent):
    order_id: UUID
    sku: str
    qty: int
    amount: Decimal


# The raw classes repeat DomainEvent's envelope fields so that both sides build, encode and
# decode the same document. They use uuid4 because the standard library has no uuid7 before
# Python 3.14; the "uuid7" row shows what that difference alone is worth.
@dataclass(frozen=True, kw_only=True)
class RawDataclass:
    order_id: UUID
    sku: str
    qty: int
    amount: Decimal
    event_id: UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=_utc_now)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class RawStruct(msgspec.Struct, frozen=True, kw_only=True):
    order_id: UUID
    sku: str
    qty: int
    amount: Decimal
    event_id: UUID = msgspec.field(default_factory=uuid.uuid4)
    occurred_at: datetime = msgspec.field(default_factory=_utc_now)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class RawModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: UUID
    sku: str
    qty: int
    amount: Decimal
    event_id: UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=_utc_now)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Case:
    """One row of the table: a tactica operation and the baseline it is compared with."""

    name: str
    subject: Callable[[], Any]
    baseline_label: str
    baseline: Callable[[], Any]
    goal: float | None
    # A second, stricter baseline shown for context; goals never apply to it.
    reference: bool = False
    # How both sides are driven: plain calls, or awaits on one event loop (`AsyncBatch`).
    batch: Batch = sync_batch
    # What one call is, when a rate says more than a time: "commit" adds commits/s.
    unit: str | None = None
    # Batch length as a multiple of the mode's: rows of milliseconds per call (a commit and
    # its fsync) get too few calls in a normal batch for one slow call not to swing it.
    batch_scale: float = 1.0
    # How many `unit`s one call handles (an append of 10 events, a load of 1,000), so the
    # rate in the note counts events rather than calls.
    per_call: int = 1
    # At most this many batches, for rows whose single call takes most of a second (a
    # catch-up read of 100k events); the note then says how many were timed.
    max_repeats: int | None = None
    # A goal stated as a time rather than a ratio: at most this many ns per call of the
    # subject (DESIGN.md: a 10,000-event load from a snapshot in 10 ms). The goal column
    # and the verdict then judge the subject's time, whatever the baseline does.
    budget_ns: float | None = None
    # What one call is, when its time says more than a rate: "load" puts both sides' ms per
    # load in the note.
    call: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row that could not be timed here, and why (a service that is not running)."""

    name: str
    baseline_label: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Side:
    label: str
    construct: Callable[[], Any]
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]

    def operations(self) -> dict[str, Callable[[], object]]:
        event = self.construct()
        data = self.encode(event)
        # A side that silently lost a field would look fast for the wrong reason.
        if self.decode(data) != event:
            msg = f"{self.label}: decode(encode(event)) != event, so its timings are not comparable"
            raise RuntimeError(msg)
        construct, encode, decode = self.construct, self.encode, self.decode

        def round_trip() -> object:
            return decode(encode(construct()))

        return {
            "construct": construct,
            "encode": partial(encode, event),
            "decode": partial(decode, data),
            "round trip": round_trip,
        }


def _flavour_cases(
    flavour: str, subject: _Side, raw: _Side, reference: _Side, *, skip: tuple[str, ...] = ()
) -> Iterator[Case]:
    ours, theirs, ref = subject.operations(), raw.operations(), reference.operations()
    for step, run in ours.items():
        name = f"{flavour} {step}"
        yield Case(name, run, raw.label, theirs[step], FLAVOUR_GOAL)
        if step not in skip:
            yield Case(name, run, reference.label, ref[step], None, reference=True)


def cases() -> Iterator[Case]:
    """Yield every comparison in table order."""
    yield Case("uuid7", tactica.uuid7, "uuid.uuid4()", uuid.uuid4, None)

    codec = tactica.JsonCodec()
    yield from _flavour_cases(
        "dataclass",
        _Side(
            "tactica.dataclasses",
            partial(DataclassOrderPlaced, **_FIELDS),
            codec.encode,
            partial(codec.decode, cls=DataclassOrderPlaced),
        ),
        _Side(
            "@dataclass + msgspec",
            partial(RawDataclass, **_FIELDS),
            msgspec.json.Encoder().encode,
            msgspec.json.Decoder(RawDataclass).decode,
        ),
        _Side(
            "msgspec.Struct",
            partial(RawStruct, **_FIELDS),
            msgspec.json.Encoder().encode,
            msgspec.json.Decoder(RawStruct).decode,
        ),
    )
    # model_dump_json is what a pydantic user writes, but it returns str; the reference line
    # calls the bytes-level pydantic-core serializer and validator both of them sit on.
    yield from _flavour_cases(
        "pydantic",
        _Side(
            "tactica.pydantic",
            partial(PydanticOrderPlaced, **_FIELDS),
            codec.encode,
            partial(codec.decode, cls=PydanticOrderPlaced),
        ),
        _Side(
            "BaseModel model_*_json",
            partial(RawModel, **_FIELDS),
            RawModel.model_dump_json,
            RawModel.model_validate_json,
        ),
        _Side(
            "pydantic-core to/validate_json",
            partial(RawModel, **_FIELDS),
            RawModel.__pydantic_serializer__.to_json,
            RawModel.__pydantic_validator__.validate_json,
        ),
        # Construction is the same BaseModel call on both pydantic baselines.
        skip=("construct",),
    )
