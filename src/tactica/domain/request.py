"""What commands and queries have in common, whichever flavour declares them.

The flavours' `Command` and `Query` classes derive from these markers, so the buses can route
and type a message without knowing whether it is a dataclass or a pydantic model.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["CommandMessage", "QueryMessage", "Request"]

TResult_co = TypeVar("TResult_co", covariant=True)


class Request(Generic[TResult_co]):
    """A message answered by exactly one handler, whose result has type ``TResult_co``."""

    __slots__ = ()


class CommandMessage(Request[TResult_co]):
    """Marker of commands: requests to change something."""

    __slots__ = ()


class QueryMessage(Request[TResult_co]):
    """Marker of queries: requests to read something, changing nothing."""

    __slots__ = ()
