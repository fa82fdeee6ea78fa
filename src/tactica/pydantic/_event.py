"""Domain events in the pydantic flavour."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, NoReturn
from uuid import UUID

from pydantic import ConfigDict, Field

from tactica.domain.context import current_causation_id, current_correlation_id
from tactica.domain.envelope import checked_occurred_at, new_event_id, utc_now
from tactica.domain.frozendict import EMPTY
from tactica.domain.metadata import FROZEN_JSON, freeze_metadata
from tactica.domain.naming import configure_message_class, mark_integration
from tactica.pydantic._base import TacticaModel
from tactica.pydantic._value_object import refuse_change

__all__ = ["DomainEvent"]


class DomainEvent(TacticaModel):
    """Something that happened in the domain, named in the past tense.

    Frozen and keyword-only. Every event gets an ``event_id`` (UUIDv7) and an aware-UTC
    ``occurred_at``; ``correlation_id`` and ``causation_id`` default to the message
    context in force, so an event created inside a handler is linked to the command that
    caused it with no extra code. ``metadata`` is an immutable mapping of JSON values.

    The class keywords ``name``, ``aliases`` and ``version`` set its registered name, the
    old names it still answers to, and its schema version; ``integration=True`` sends its
    events to other services: a unit of work writes them to the outbox in the same
    transaction as the change that recorded them.

    Examples:
        >>> from tactica.pydantic import DomainEvent
        >>> class OrderPlaced(DomainEvent, name="orders.placed"):
        ...     order_id: str
        >>> OrderPlaced(order_id="o-1").event_id.version
        7
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    __message_name__: ClassVar[str] = "DomainEvent"
    __message_aliases__: ClassVar[tuple[str, ...]] = ()
    __message_version__: ClassVar[int] = 1

    event_id: UUID = Field(default_factory=new_event_id)
    occurred_at: datetime = Field(default_factory=utc_now)
    correlation_id: UUID | None = Field(default_factory=current_correlation_id)
    causation_id: UUID | None = Field(default_factory=current_causation_id)
    metadata: Annotated[Mapping[str, Any], FROZEN_JSON] = EMPTY

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        aliases: Iterable[str] = (),
        version: int = 1,
        integration: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Record the subclass's registered name and schema version."""
        super().__init_subclass__(**kwargs)
        configure_message_class(cls, name=name, aliases=aliases, version=version)
        mark_integration(cls, integration)

    def _complete(self) -> None:
        fields = vars(self)
        metadata = fields["metadata"]
        if metadata is not EMPTY:
            fields["metadata"] = freeze_metadata(metadata, type(self)) if metadata else EMPTY
        occurred_at = checked_occurred_at(self)
        if occurred_at is not fields["occurred_at"]:
            fields["occurred_at"] = occurred_at

    def check_invariants(self) -> None:
        """Raise if the fields break a rule of the event; called after construction."""

    def __hash__(self) -> int:
        """Hash by ``event_id``: equal events share it, and metadata need not be hashed."""
        return hash(self.event_id)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        """Refuse: events never change."""
        refuse_change(self, name)

    def __delattr__(self, name: str) -> NoReturn:
        """Refuse: events never change."""
        refuse_change(self, name)
