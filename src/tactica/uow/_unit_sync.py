# Generated from _unit_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The unit of work (sync colour): one business transaction over one or more repositories.

Open it with ``with``; nothing is stored unless `commit` is called, and leaving the
block without committing (or with an exception) rolls back. A unit of work is used once:
entering it while open, or committing twice, is an error. After a successful commit, the
events recorded by every aggregate its repositories touched are available from
`collect_events`, in recording order, for the bus to publish; those of integration event
classes were written to the outbox in the same transaction.

This module holds the rules only; every concrete unit of work lives with its backend in
`tactica.stores`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

from tactica.codec import JsonCodec
from tactica.errors import UnitOfWorkError
from tactica.outbox import OutboxMessage, outbox_messages
from tactica.ports._outbox_checks import checked_outbox

__all__ = ["UnitOfWork"]

R = TypeVar("R")


class UnitOfWork:
    """The base of units of work: the open/commit/rollback rules, and event collection.

    Subclasses store the changes in `_store`; a rollback makes every tracked repository
    forget its changes. Repositories are attributes made with `track`, so the unit of work
    knows whose events to collect.
    """

    def __init__(self, *, codec: JsonCodec | None = None) -> None:
        """Start closed, with no repositories; `codec` encodes outbox payloads."""
        self.codec = codec or JsonCodec()
        self._repositories: list[Any] = []
        self._state = "new"
        self._events: list[Any] = []
        self.position = 0
        """The global position the commit's last event got (0 before, or with no events)."""

    def track(self, repository: R) -> R:
        """Register a repository whose aggregates' events this unit of work collects."""
        self._repositories.append(repository)
        return repository

    def __enter__(self) -> Self:
        """Open the unit of work; it may be opened once."""
        if self._state != "new":
            msg = (
                f"this {type(self).__name__} was already opened ({self._state}); a unit of work "
                "serves one transaction, so create a new one for the next"
            )
            raise UnitOfWorkError(msg)
        self._state = "open"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        if self._state == "open":
            self.rollback()

    def commit(self) -> int:
        """Store every change of every tracked repository in one transaction, once.

        Return the global position the commit's last event got (0 if it appended none):
        pass it to `tactica.projections.wait_for` to read your own writes.
        """
        if self._state != "open":
            outcome = {
                "committed": "the first commit succeeded",
                "failed": "the first commit failed and stored nothing",
                "rolled back": "it was rolled back",
                "new": "it was never opened (use `with`)",
            }[self._state]
            msg = f"cannot commit this {type(self).__name__}: {outcome}"
            raise UnitOfWorkError(msg)
        pending = self._pending_events()
        outbox = list(checked_outbox(outbox_messages(pending, self.codec)))
        try:
            self.position = self._store(outbox)
        except BaseException:
            self._state = "failed"
            raise
        self._state = "committed"
        for repository in self._repositories:
            for aggregate in repository.seen:
                pull = getattr(aggregate, "pull_events", None)
                if pull is not None:
                    pull()
        self._events.extend(pending)
        return self.position

    def _pending_events(self) -> list[Any]:
        return [
            event
            for repository in self._repositories
            for aggregate in repository.seen
            for event in getattr(aggregate, "pending_events", ())
        ]

    def rollback(self) -> None:
        """Discard every uncommitted change; tracked aggregates keep their pending events."""
        if self._state == "open":
            self._state = "rolled back"
        for repository in self._repositories:
            repository.rollback()

    def collect_events(self) -> list[Any]:
        """Return (and forget) the events of the committed changes, in recording order."""
        events, self._events = self._events, []
        return events

    def _store(self, outbox: list[OutboxMessage]) -> int:
        raise NotImplementedError
