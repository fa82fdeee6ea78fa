# Generated from test_bus_wiring_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""How the bus (sync colour) fills handler parameters, and in which order it handles events.

Parameters are recognised by annotation (a unit-of-work class, an abstract base of one, a
`Protocol`, a name imported only under ``TYPE_CHECKING``) as well as by name; events are
handled depth first by default, or first in, first out.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from tactica import MessageBus, ConfigurationError, Handlers, InMemoryDatabase
from tactica.dataclasses import AggregateRoot, Command, DomainEvent
from tactica.errors import EventHandlerError
from tactica.ports import Dispatcher
from tactica.ports import UnitOfWork as UnitOfWorkPort
from tactica.stores.memory import InMemoryRepository, InMemoryUnitOfWork

if TYPE_CHECKING:
    from fractions import Fraction

    from tactica.stores.sqlite import SQLiteUnitOfWork


class Ticket(AggregateRoot[str]):
    title: str


class Opened(DomainEvent, name="tests.wiring.opened"):
    ticket_id: str


class Noted(DomainEvent, name="tests.wiring.noted"):
    note: str


class Open(Command[str], name="tests.wiring.open"):
    ticket_id: str


class AbstractTickets(abc.ABC):
    """The application's own abstract unit of work, as Cosmic Python writes it."""

    tickets: InMemoryRepository[Ticket, Any]


class TicketsWork(InMemoryUnitOfWork, AbstractTickets):
    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database)
        self.tickets = self.repository(Ticket)


class OtherWork(InMemoryUnitOfWork):
    pass


class TicketsPort(Protocol):
    """A structural port of the tickets unit of work."""

    tickets: InMemoryRepository[Ticket, Any]


class Dispatches(Protocol):
    """The application's own dispatcher port."""

    def dispatch(self, message: Any) -> Any: ...


class Clock:
    pass


def _units(database: InMemoryDatabase) -> dict[type, Any]:
    return {TicketsWork: lambda: TicketsWork(database), OtherWork: lambda: OtherWork(database)}


def _open(command: Open, uow: Any) -> str:
    with uow:
        uow.tickets.add(Ticket(id=command.ticket_id, title="t"))
        uow.commit()
    return type(uow).__name__


def by_abstract_base(command: Open, uow: AbstractTickets) -> str:
    return _open(command, uow)


def by_protocol(command: Open, uow: TicketsPort) -> str:
    return _open(command, uow)


def by_hidden_name(
    command: Open, work: SQLiteUnitOfWork, clock: Clock, rate: Fraction
) -> str:
    assert isinstance(clock, Clock)
    assert rate.denominator == 2
    with work:  # leaving the block closes the connection the unit opened
        return type(work).__name__


def test_a_unit_of_work_is_found_by_an_abstract_base_of_one_contexts_class() -> None:
    """`uow: AbstractTickets` gets a TicketsWork: the one class in the mapping derived from it."""
    handlers = Handlers()
    handlers.command(message_type=Open)(by_abstract_base)
    bus = MessageBus(handlers, unit_of_work=_units(InMemoryDatabase()))
    assert bus.dispatch(Open(ticket_id="1")) == "TicketsWork"


def test_a_protocol_annotated_unit_of_work_takes_its_registrys_context() -> None:
    """A static Protocol cannot be checked, so the name `uow` and the registry decide."""
    database = InMemoryDatabase()
    handlers = Handlers(unit_of_work=TicketsWork)
    handlers.command(message_type=Open)(by_protocol)
    bus = MessageBus(handlers, unit_of_work=_units(database))
    assert bus.dispatch(Open(ticket_id="1")) == "TicketsWork"

    ungrouped = Handlers()
    ungrouped.command(message_type=Open)(by_protocol)
    with pytest.raises(ConfigurationError, match=r"by_protocol.*several.*Handlers\(unit_of_work"):
        MessageBus(ungrouped, unit_of_work=_units(database))
    single = MessageBus(ungrouped, unit_of_work=lambda: TicketsWork(database))
    assert single.dispatch(Open(ticket_id="2")) == "TicketsWork"


def test_names_imported_only_for_type_checking_match_by_name_and_keep_other_hints(
    tmp_path: Path,
) -> None:
    """An unresolvable hint stays a name; the message type and the other hints still resolve."""
    from fractions import Fraction

    from tactica.stores.sqlite import SQLiteUnitOfWork

    handlers = Handlers()
    handlers.command(by_hidden_name)  # the message type is read although `work` cannot be
    assert handlers.handler_for(Open).function is by_hidden_name
    bus = MessageBus(
        handlers,
        dependencies={"the_clock": Clock(), "half": Fraction(1, 2)},
        unit_of_work={
            TicketsWork: lambda: TicketsWork(InMemoryDatabase()),
            SQLiteUnitOfWork: lambda: SQLiteUnitOfWork(tmp_path / "unused.db"),
        },
    )
    assert bus.dispatch(Open(ticket_id="1")) == "SQLiteUnitOfWork"


def test_the_bus_is_given_by_its_class_by_the_name_bus_or_to_a_dispatcher_protocol() -> None:
    """A handler reaches the bus it runs on with no holder object."""
    handlers = Handlers()
    reached: list[object] = []

    @handlers.event(message_type=Opened)
    def by_class(event: Opened, messages: MessageBus) -> None:
        reached.append(messages)

    @handlers.event(message_type=Opened)
    def by_name(event: Opened, bus) -> None:  # type: ignore[no-untyped-def]
        reached.append(bus)

    @handlers.event(message_type=Opened)
    def by_own_port(event: Opened, dispatcher: Dispatches) -> None:
        reached.append(dispatcher)

    @handlers.event(message_type=Opened)
    def by_tacticas_port(event: Opened, sender: Dispatcher) -> None:
        reached.append(sender)

    bus = MessageBus(handlers)
    bus.publish(Opened(ticket_id="1"))
    assert reached == [bus, bus, bus, bus]
    assert isinstance(bus, Dispatcher)


def test_the_unit_of_work_port_as_annotation_takes_the_registrys_context() -> None:
    """`work: tactica.ports.UnitOfWork` is a unit-of-work slot, whatever its name."""
    database = InMemoryDatabase()
    handlers = Handlers(unit_of_work=TicketsWork)

    @handlers.command(message_type=Open)
    def by_port(command: Open, work: UnitOfWorkPort) -> str:
        return _open(command, work)

    bus = MessageBus(handlers, unit_of_work=_units(database))
    assert bus.dispatch(Open(ticket_id="1")) == "TicketsWork"
    with TicketsWork(database) as uow:
        assert uow.tickets.find("1") is not None


def test_a_base_class_matching_two_contexts_is_ambiguous_at_start_up() -> None:
    """`uow: InMemoryUnitOfWork` fits both contexts: the bus refuses to guess."""
    handlers = Handlers()

    @handlers.command(message_type=Open)
    def vague(command: Open, uow: InMemoryUnitOfWork) -> str:
        return ""

    with pytest.raises(ConfigurationError, match=r"vague.*several.*TicketsWork, OtherWork"):
        MessageBus(handlers, unit_of_work=_units(InMemoryDatabase()))


class Ledger:
    """What ran, in order, and a tickets unit of work per command."""

    def __init__(self) -> None:
        self.database = InMemoryDatabase()
        self.log: list[str] = []


def _ordering(ledger: Ledger) -> Handlers:
    """Open commits Opened and Noted("opened"); the handler of Opened commits Noted("seen")."""
    handlers = Handlers()

    @handlers.command(message_type=Open)
    def open_ticket(command: Open, uow: TicketsWork) -> str:
        ticket = Ticket(id=command.ticket_id, title="t")
        ticket.record(Opened(ticket_id=command.ticket_id))
        ticket.record(Noted(note="opened"))
        with uow:
            uow.tickets.add(ticket)
            uow.commit()
        ledger.log.append("open")
        return ticket.id

    @handlers.event(message_type=Opened)
    def on_opened(event: Opened, uow: TicketsWork) -> None:
        with uow:
            ticket = uow.tickets.get(event.ticket_id)
            ticket.record(Noted(note="seen"))
            ticket.title = "seen"
            uow.commit()
        ledger.log.append("on Opened")

    @handlers.event(message_type=Noted)
    def on_noted(event: Noted) -> None:
        ledger.log.append(f"on Noted {event.note}")

    return handlers


def test_events_are_handled_depth_first_by_default() -> None:
    """An event's own events are handled before the next event of the same commit."""
    ledger = Ledger()
    bus = MessageBus(_ordering(ledger), unit_of_work=lambda: TicketsWork(ledger.database))
    bus.dispatch(Open(ticket_id="1"))
    assert ledger.log == ["open", "on Opened", "on Noted seen", "on Noted opened"]


def test_fifo_handles_events_in_the_order_they_were_raised_as_cosmic_pythons_bus() -> None:
    """The outermost dispatch works through a queue; raised events join its end."""
    ledger = Ledger()
    bus = MessageBus(
        _ordering(ledger),
        unit_of_work=lambda: TicketsWork(ledger.database),
        event_order="fifo",
    )
    bus.dispatch(Open(ticket_id="1"))
    assert ledger.log == ["open", "on Opened", "on Noted opened", "on Noted seen"]
    ledger.log.clear()
    bus.publish(Opened(ticket_id="1"))  # a publish from outside drains its queue too
    assert ledger.log == ["on Opened", "on Noted seen"]


def test_a_fifo_event_failure_names_the_handler_that_committed_it() -> None:
    """Raised after the queue reached the event; the changes stay committed."""
    ledger = Ledger()
    handlers = _ordering(ledger)

    @handlers.event(message_type=Noted)
    def broken(event: Noted) -> None:
        raise RuntimeError("mail server down")

    bus = MessageBus(
        handlers, unit_of_work=lambda: TicketsWork(ledger.database), event_order="fifo"
    )
    with pytest.raises(EventHandlerError, match=r"open_ticket committed.*Noted.*mail server"):
        bus.dispatch(Open(ticket_id="1"))
    assert ledger.log == ["open", "on Opened", "on Noted opened"]
    with pytest.raises(ConfigurationError, match="event_order"):
        MessageBus(handlers, event_order="lifo")  # type: ignore[arg-type]
