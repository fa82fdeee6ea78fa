"""Commands and queries in the dataclass flavour."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID

from tactica.dataclasses._model import FrozenModel
from tactica.domain.context import current_causation_id, current_correlation_id
from tactica.domain.envelope import new_message_id, refuse_absent_message_id
from tactica.domain.naming import configure_message_class
from tactica.domain.request import CommandMessage, QueryMessage

__all__ = ["Command", "Query"]

TResult = TypeVar("TResult")


class _Message(FrozenModel):
    if TYPE_CHECKING:
        __message_name__: ClassVar[str]
        __message_aliases__: ClassVar[tuple[str, ...]]
        __message_version__: ClassVar[int]

    message_id: UUID = field(default_factory=new_message_id)
    correlation_id: UUID | None = field(default_factory=current_correlation_id)
    causation_id: UUID | None = field(default_factory=current_causation_id)

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        aliases: Iterable[str] = (),
        version: int = 1,
        **kwargs: Any,
    ) -> None:
        """Make the subclass a frozen dataclass and record its name and schema version."""
        super().__init_subclass__(**kwargs)
        configure_message_class(cls, name=name, aliases=aliases, version=version)

    def __post_init__(self) -> None:
        """Refuse a decoded message without its id, then check invariants."""
        refuse_absent_message_id(self.message_id)
        self.check_invariants()

    def check_invariants(self) -> None:
        """Raise if the fields break a rule of the message; called after construction."""


class Command(_Message, CommandMessage[TResult]):
    """A request to change the system, answered by exactly one handler with a ``TResult``.

    Frozen and keyword-only, like events: ``message_id`` (UUIDv7) is generated, and
    ``correlation_id``/``causation_id`` come from the message context, so a command sent from
    inside a handler continues that handler's chain. The type parameter types what
    ``bus.dispatch(command)`` returns.

    Examples:
        >>> from tactica.dataclasses import Command
        >>> class RenameShelf(Command[None], name="library.rename-shelf"):
        ...     shelf_id: str
        ...     name: str
        >>> RenameShelf(shelf_id="s-1", name="Novels").message_id.version
        7
    """


class Query(_Message, QueryMessage[TResult]):
    """A request to read, answered by exactly one handler with a ``TResult``; it changes nothing.

    Examples:
        >>> from tactica.dataclasses import Query
        >>> class CountBooks(Query[int]):
        ...     shelf_id: str
        >>> CountBooks(shelf_id="s-1").shelf_id
        's-1'
    """
