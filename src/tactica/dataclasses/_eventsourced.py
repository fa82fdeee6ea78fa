"""Event-sourced aggregates in the dataclass flavour."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, Self

from typing_extensions import TypeVar

from tactica.dataclasses._entity import AggregateRoot, Entity
from tactica.dataclasses._event import DomainEvent
from tactica.domain.eventsourced import (
    EVENT_TYPES,
    apply_event,
    event_classes,
    fold_events,
    generic_event_argument,
)
from tactica.domain.identity import AUTO_ID, new_id, resolve_id_type

__all__ = ["EventSourcedAggregate"]

TId = TypeVar("TId")
TEvent = TypeVar("TEvent", bound=DomainEvent, default=Any)


class EventSourcedAggregate(AggregateRoot[TId], Generic[TId, TEvent]):
    """An aggregate whose state is the fold of its events: it changes only through `evolve`.

    Write ``evolve(event)`` to change the state for one event, and nothing else: no checks
    that can fail, no recording. Command methods check the rules, then call `apply`, which
    evolves, records the event as pending and adds one to ``version``. Loading calls
    `replay` (or `fold` on a snapshot), which evolves only. The recommended ``evolve`` is
    a ``match`` over a union of the aggregate's events with ``assert_never`` in the last
    case, so that type checkers report an event that has no case. The second type argument
    (the union) types `apply`, `replay` and `fold`; without it they take any event.

    **Coming into existence.** An aggregate begins as `blank`: the id, ``version`` 0 and the
    defaults of the fields that have one, built without ``__init__`` and without
    ``check_invariants``. Its first event (``Opened``, ``Registered``...) sets the fields
    that have no default, as ``__init__`` would; `apply` and `replay` raise
    `ConfigurationError` if one is still unset after it. A class method such as ``open``
    below is the usual constructor.

    **Versions.** ``version`` counts the events the aggregate has evolved, pending ones
    included: after loading it is the stream's version; the stream is expected at
    ``version - len(pending_events)`` when the pending events are appended.

    **All or nothing.** If ``evolve`` raises, `apply` restores every attribute it assigned,
    records nothing and leaves ``version`` alone. A container changed in place
    (``self.items.append(x)``) cannot be restored: assign new values instead (tuples,
    frozensets, `FrozenDict`), as the example does.

    Examples:
        >>> from typing import TypeAlias, assert_never
        >>> from tactica.dataclasses import DomainEvent, EventSourcedAggregate
        >>> class Opened(DomainEvent):
        ...     owner: str
        >>> class Deposited(DomainEvent):
        ...     amount: int
        >>> AccountEvent: TypeAlias = Opened | Deposited
        >>> class Account(EventSourcedAggregate[str, AccountEvent]):
        ...     owner: str
        ...     balance: int = 0
        ...     deposits: tuple[int, ...] = ()
        ...
        ...     @classmethod
        ...     def open(cls, account_id: str, owner: str) -> "Account":
        ...         account = cls.blank(account_id)
        ...         account.apply(Opened(owner=owner))
        ...         return account
        ...
        ...     def deposit(self, amount: int) -> None:
        ...         if amount <= 0:
        ...             raise ValueError("deposit a positive amount")
        ...         self.apply(Deposited(amount=amount))
        ...
        ...     def evolve(self, event: AccountEvent) -> None:
        ...         match event:
        ...             case Opened(owner=owner):
        ...                 self.owner = owner
        ...             case Deposited(amount=amount):
        ...                 self.balance += amount
        ...                 self.deposits = (*self.deposits, amount)
        ...             case _:
        ...                 assert_never(event)
        >>> account = Account.open("acc-1", owner="Ada")
        >>> account.deposit(10)
        >>> account.version, account.balance, len(account.pending_events)
        (2, 10, 2)
        >>> loaded = Account.replay("acc-1", account.pull_events())
        >>> loaded == account, loaded.balance, loaded.version, loaded.pending_events
        (True, 10, 2, ())
    """

    snapshot_version: ClassVar[int] = 1
    """The version of the snapshot format: raise it when the state's fields change.

    A repository ignores (and replaces) a snapshot taken at another version.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Make the subclass a dataclass and record the event classes it declares."""
        super().__init_subclass__(**kwargs)
        argument = generic_event_argument(cls, EventSourcedAggregate)
        if argument is not None:  # else it inherits what its base declared
            setattr(cls, EVENT_TYPES, event_classes(argument))

    @classmethod
    def blank(cls, aggregate_id: TId = AUTO_ID, /) -> Self:
        """Return the aggregate before its first event: id, version 0, field defaults.

        The id is generated (UUIDv7) when omitted and the id type allows it, as for
        `Entity`. Neither ``__init__`` nor ``check_invariants`` runs: fields without a
        default stay unset until the first event sets them.
        """
        aggregate = object.__new__(cls)
        state = vars(aggregate)
        state["id"] = new_id(cls, _declared_id_type) if aggregate_id is AUTO_ID else aggregate_id
        for name, default, factory in _defaults(cls):
            state[name] = default if factory is None else factory()
        return aggregate

    @classmethod
    def replay(cls, aggregate_id: TId, events: Iterable[TEvent], /) -> Self:
        """Rebuild an aggregate from its history: `blank`, then `fold` the events.

        ``version`` ends as the number of events; nothing is recorded.
        """
        return cls.blank(aggregate_id).fold(events)

    def fold(self, events: Iterable[TEvent], /) -> Self:
        """Fast-forward by events that are already stored (a snapshot's tail); return self.

        Calls ``evolve`` for each event and adds one to ``version`` per event, recording
        nothing. Use it on a loaded aggregate with no pending events. If ``evolve`` raises,
        the error propagates and the half-loaded aggregate must be thrown away.
        """
        fold_events(self, events, _required_fields(type(self)))
        return self

    def apply(self, event: TEvent, /) -> None:
        """Evolve by a new `event`, record it as pending and add one to ``version``.

        All or nothing: if ``evolve`` raises, the attributes it assigned are restored, the
        event is not recorded and ``version`` is unchanged.
        """
        apply_event(self, event, _required_fields(type(self)))

    def evolve(self, event: TEvent, /) -> None:
        """Change the state for one `event`; every subclass implements it.

        It must succeed for every event the aggregate ever stored: decisions and checks
        belong in the command methods, before `apply`.
        """
        msg = f"{type(self).__qualname__} must implement evolve(event) to apply events"
        raise NotImplementedError(msg)


setattr(EventSourcedAggregate, EVENT_TYPES, ())

_required: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()
_defaulted: weakref.WeakKeyDictionary[
    type, tuple[tuple[str, Any, Callable[[], Any] | None], ...]
] = weakref.WeakKeyDictionary()


def _declared_id_type(cls: type) -> object:
    return resolve_id_type(cls, Entity)


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def _required_fields(cls: type) -> tuple[str, ...]:
    """The fields of `cls` without a default: the creation event must set them."""
    required = _required.get(cls)
    if required is None:
        fields = dataclasses.fields(cls)
        required = _required[cls] = tuple(f.name for f in fields if not _has_default(f))
    return required


def _defaults(cls: type) -> tuple[tuple[str, Any, Callable[[], Any] | None], ...]:
    """Name, default and default factory of each field of `cls` with one, but the id."""
    defaults = _defaulted.get(cls)
    if defaults is None:
        found: list[tuple[str, Any, Callable[[], Any] | None]] = []
        for field in dataclasses.fields(cls):
            if field.name == "id" or not _has_default(field):
                continue
            factory = field.default_factory
            if factory is dataclasses.MISSING:
                found.append((field.name, field.default, None))
            else:
                found.append((field.name, None, factory))
        defaults = _defaulted[cls] = tuple(found)
    return defaults
