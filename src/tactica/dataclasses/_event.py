"""Domain events in the dataclass flavour."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from uuid import UUID

from tactica.dataclasses._model import FrozenModel
from tactica.domain.context import current_causation_id, current_correlation_id
from tactica.domain.envelope import ABSENT, checked_occurred_at, new_event_id, utc_now
from tactica.domain.frozendict import EMPTY
from tactica.domain.metadata import FROZEN_JSON, freeze_metadata
from tactica.domain.naming import configure_message_class, mark_integration

__all__ = ["DomainEvent"]


class DomainEvent(FrozenModel):
    """Something that happened in the domain, named in the past tense.

    Frozen and keyword-only. Every event gets an ``event_id`` (UUIDv7) and an aware-UTC
    ``occurred_at``; ``correlation_id`` and ``causation_id`` default to the message
    context in force (set by the buses while a handler runs, or by `message_context`), so
    an event created inside a handler is linked to the command that caused it with no
    extra code. ``metadata`` is an immutable mapping of JSON values.

    The class keywords ``name``, ``aliases`` and ``version`` set its registered name, the
    old names it still answers to, and its schema version; ``integration=True`` sends its
    events to other services: a unit of work writes them to the outbox in the same
    transaction as the change that recorded them.

    Examples:
        >>> from tactica.dataclasses import DomainEvent
        >>> class OrderPlaced(DomainEvent, name="orders.placed"):
        ...     order_id: str
        >>> OrderPlaced(order_id="o-1").event_id.version
        7
    """

    if TYPE_CHECKING:
        # Declared for type checkers only: a ClassVar annotation becomes an entry of
        # __dataclass_fields__, which msgspec walks on every encode and decode.
        __message_name__: ClassVar[str]
        __message_aliases__: ClassVar[tuple[str, ...]]
        __message_version__: ClassVar[int]

    event_id: UUID = field(default_factory=new_event_id)
    occurred_at: datetime = field(default_factory=utc_now)
    correlation_id: UUID | None = field(default_factory=current_correlation_id)
    causation_id: UUID | None = field(default_factory=current_causation_id)
    metadata: Annotated[Mapping[str, Any], FROZEN_JSON] = field(default=EMPTY)

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        aliases: Iterable[str] = (),
        version: int = 1,
        integration: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Make the subclass a frozen dataclass and record its name and schema version."""
        super().__init_subclass__(**kwargs)
        configure_message_class(cls, name=name, aliases=aliases, version=version)
        mark_integration(cls, integration)
        cls.__hash__ = DomainEvent.__hash__  # type: ignore[method-assign]  # by event_id

    def __post_init__(self) -> None:
        """Freeze the metadata, insist on an aware timestamp, then check invariants."""
        metadata = self.metadata
        if metadata is not EMPTY:
            frozen = freeze_metadata(metadata, type(self)) if metadata else EMPTY
            object.__setattr__(self, "metadata", frozen)
        # Fast path first: what utc_now() and msgspec produce needs no further look.
        if self.occurred_at.tzinfo is not UTC or self.event_id is ABSENT:
            object.__setattr__(self, "occurred_at", checked_occurred_at(self))
        self.check_invariants()

    def __hash__(self) -> int:
        """Hash by ``event_id``: equal events share it, and metadata need not be hashed."""
        return hash(self.event_id)

    def check_invariants(self) -> None:
        """Raise if the fields break a rule of the event; called after construction."""


DomainEvent.__message_name__ = "DomainEvent"
DomainEvent.__message_aliases__ = ()
DomainEvent.__message_version__ = 1
