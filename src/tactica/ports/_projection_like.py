"""What units of work and runners need of a projection, whichever way it is declared."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["ProjectionLike"]


class ProjectionLike(Protocol):
    """What a runner needs of a projection: its name and a handler per event class."""

    @property
    def name(self) -> str:
        """The projection's name: its checkpoint, lease and read models are kept under it."""
        ...

    def handlers(self) -> Mapping[type, Callable[[Any, Any], object]]:
        """Return the handler of each event class; each takes ``(event, transaction)``."""
        ...
