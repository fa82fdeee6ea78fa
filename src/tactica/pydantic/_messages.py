"""Commands and queries in the pydantic flavour."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn, TypeVar
from uuid import UUID

from pydantic import ConfigDict, Field

from tactica.domain.context import current_causation_id, current_correlation_id
from tactica.domain.envelope import new_message_id, refuse_absent_message_id
from tactica.domain.naming import configure_message_class
from tactica.domain.request import CommandMessage, QueryMessage
from tactica.pydantic._base import TacticaModel
from tactica.pydantic._value_object import refuse_change

__all__ = ["Command", "Query"]

TResult = TypeVar("TResult")


class _Message(TacticaModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    __message_name__: ClassVar[str] = "_Message"
    __message_aliases__: ClassVar[tuple[str, ...]] = ()
    __message_version__: ClassVar[int] = 1

    message_id: UUID = Field(default_factory=new_message_id)
    correlation_id: UUID | None = Field(default_factory=current_correlation_id)
    causation_id: UUID | None = Field(default_factory=current_causation_id)

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        aliases: Iterable[str] = (),
        version: int = 1,
        **kwargs: Any,
    ) -> None:
        """Record the subclass's registered name and schema version."""
        super().__init_subclass__(**kwargs)
        configure_message_class(cls, name=name, aliases=aliases, version=version)

    def _complete(self) -> None:
        refuse_absent_message_id(self.message_id)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        """Refuse: messages never change."""
        refuse_change(self, name)

    def __delattr__(self, name: str) -> NoReturn:
        """Refuse: messages never change."""
        refuse_change(self, name)


class Command(_Message, CommandMessage[TResult]):
    """A request to change the system, answered by exactly one handler with a ``TResult``.

    Frozen and keyword-only, like events: ``message_id`` (UUIDv7) is generated, and
    ``correlation_id``/``causation_id`` come from the message context, so a command sent from
    inside a handler continues that handler's chain. The type parameter types what
    ``bus.dispatch(command)`` returns.

    Examples:
        >>> from tactica.pydantic import Command
        >>> class RenameShelf(Command[None], name="library.rename-shelf"):
        ...     shelf_id: str
        ...     name: str
        >>> RenameShelf(shelf_id="s-1", name="Novels").message_id.version
        7
    """


class Query(_Message, QueryMessage[TResult]):
    """A request to read, answered by exactly one handler with a ``TResult``; it changes nothing.

    Examples:
        >>> from tactica.pydantic import Query
        >>> class CountBooks(Query[int]):
        ...     shelf_id: str
        >>> CountBooks(shelf_id="s-1").shelf_id
        's-1'
    """
