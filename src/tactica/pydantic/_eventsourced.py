"""Event-sourced aggregates in the pydantic flavour."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, Self

from pydantic_core import PydanticUndefined
from typing_extensions import TypeVar

from tactica.domain.eventsourced import (
    EVENT_TYPES,
    apply_event,
    event_classes,
    fold_events,
    substitute,
)
from tactica.domain.identity import AUTO_ID, new_id
from tactica.pydantic._entity import AggregateRoot
from tactica.pydantic._event import DomainEvent

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
    defaults of the fields that have one, built without validation and without
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
        >>> from tactica.pydantic import DomainEvent, EventSourcedAggregate
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

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Record the event classes the subclass declares (read from pydantic's generics)."""
        super().__pydantic_init_subclass__(**kwargs)
        argument = _event_argument(cls)
        if argument is not None:  # else it inherits what its base declared
            type.__setattr__(cls, EVENT_TYPES, event_classes(argument))

    @classmethod
    def blank(cls, aggregate_id: TId = AUTO_ID, /) -> Self:
        """Return the aggregate before its first event: id, version 0, field defaults.

        The id is generated (UUIDv7) when omitted and the id type allows it, as for
        `Entity`. Neither validation nor ``check_invariants`` runs: fields without a
        default stay unset until the first event sets them.
        """
        aggregate = cls.__new__(cls)
        values: dict[str, Any] = {
            "id": new_id(cls, _declared_id_type) if aggregate_id is AUTO_ID else aggregate_id
        }
        for name, field in cls.model_fields.items():
            if name != "id" and not field.is_required():
                values[name] = field.get_default(call_default_factory=True, validated_data=values)
        private: dict[str, Any] = {}
        for name, attribute in cls.__private_attributes__.items():
            default = attribute.get_default(call_default_factory=True)
            if default is not PydanticUndefined:
                private[name] = default
        setattr_ = object.__setattr__
        setattr_(aggregate, "__dict__", values)
        setattr_(aggregate, "__pydantic_fields_set__", {"id"})
        setattr_(aggregate, "__pydantic_extra__", None)
        setattr_(aggregate, "__pydantic_private__", private)
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


type.__setattr__(EventSourcedAggregate, EVENT_TYPES, ())


def _event_argument(cls: type) -> object:
    """Return the event type argument `cls` gives `EventSourcedAggregate`, or ``None``.

    pydantic parametrises generic models into real subclasses and keeps their arguments in
    ``__pydantic_generic_metadata__``, not in ``__orig_bases__``: walked down the MRO, each
    parametrised class binds its origin's type variables, so an argument given through a
    generic intermediate class is found too.
    """
    bound: dict[object, object] = {}
    for klass in cls.__mro__:
        metadata: Any = vars(klass).get("__pydantic_generic_metadata__")
        origin: Any = metadata.get("origin") if metadata else None
        if origin is None:
            continue
        arguments = tuple(substitute(argument, bound) for argument in metadata["args"])
        if origin is EventSourcedAggregate:
            return arguments[1] if len(arguments) == 2 else None  # noqa: PLR2004
        parameters = origin.__pydantic_generic_metadata__["parameters"]
        for parameter, argument in zip(parameters, arguments, strict=False):
            bound.setdefault(parameter, argument)
    return None


def _declared_id_type(cls: type[EventSourcedAggregate[Any, Any]]) -> object:
    return cls.model_fields["id"].annotation


_required: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()


def _required_fields(cls: type[EventSourcedAggregate[Any, Any]]) -> tuple[str, ...]:
    """The fields of `cls` without a default: the creation event must set them."""
    required = _required.get(cls)
    if required is None:
        fields = cls.model_fields
        required = _required[cls] = tuple(
            name for name, field in fields.items() if field.is_required()
        )
    return required
