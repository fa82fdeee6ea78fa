"""The allocation service wired from a dishka container: an optional integration.

`examples.allocation.service.bootstrap` is the plain composition root: it builds each
dependency by hand and passes it to the bus. `bootstrap_with_dishka` builds the same bus,
with the same handlers, but asks a container for every dependency (``container.get``).
tactica knows nothing of dishka: the bus still takes ``dependencies={name: value}`` and
``unit_of_work=<factory>``, and the container is only where those values come from.

Prefer this when the application already has a container (a web framework's dishka
integration, other entry points such as workers or a CLI sharing the same settings and
clients), so one graph describes every long-lived object and the bus is one more consumer
of it. dishka checks that graph when the container is made, as the bus checks its handlers
when it is built, so a missing provider fails at start-up too. For a service this small
the plain root is shorter and needs no extra dependency; keep it until hand wiring hurts.

Every provided object is APP-scoped: one per container, for as long as the application
runs. That is why the container provides a *factory* of units of work, not a unit of
work. The bus calls the factory for every handler call that takes one, because a unit of
work is one business transaction: it holds one connection, tracks what it loaded and
collects the events of what it committed. One dispatch can run several: the handler of
``ChangeBatchQuantity`` commits, its ``Deallocated`` event dispatches ``Allocate``, and
that command must load the product afresh and commit on its own. One unit of work shared
across those messages, as an APP-scoped one or a REQUEST scope opened once per
``dispatch`` would give, would be opened a second time, which tactica refuses
(``UnitOfWorkError``): one transaction per unit of work. Nor does dishka's
REQUEST scope buy anything here: the bus binds every other dependency once, at build time,
so the unit of work is the only per-message object, and it closes its own connection when
the handler leaves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dishka

# Strict pyright calls `provide` partially unknown: one of its overloads takes a bare
# `classmethod`. The decorator itself is fully usable; only its import is reported.
from dishka import Provider, Scope, from_context, provide  # pyright: ignore[reportUnknownVariableType]

from examples.allocation.service import AllocationsView, AllocationWork, handlers
from tactica import MessageBus
from tactica.messaging import Middleware
from tactica.stores.sqlite import SQLiteConnection, create_schema


@dataclass(frozen=True)
class AllocationSettings:
    """What differs between deployments of the service: where its database lives."""

    database: Path


class AllocationWorkFactory:
    """Makes a fresh `AllocationWork` on the service's database each time it is called."""

    def __init__(self, database: Path) -> None:
        self.database = database

    def __call__(self) -> AllocationWork:
        return AllocationWork(self.database)


class AllocationProvider(Provider):
    """The service's long-lived objects: settings, the read model, the unit-of-work factory."""

    settings = from_context(provides=AllocationSettings, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def view(self) -> AllocationsView:
        """One read model for the whole application, kept up to date by event handlers."""
        return AllocationsView()

    @provide(scope=Scope.APP)
    def unit_of_work_factory(self, settings: AllocationSettings) -> AllocationWorkFactory:
        """The factory the bus calls per message, handed out once the schema exists."""
        connection = SQLiteConnection(settings.database)
        try:
            create_schema(connection)
        finally:
            connection.close()
        return AllocationWorkFactory(settings.database)


def make_container(database: Path) -> dishka.Container:
    """A container providing the service's dependencies, for the SQLite file at `database`."""
    return dishka.make_container(
        AllocationProvider(), context={AllocationSettings: AllocationSettings(database)}
    )


def bootstrap_with_dishka(
    container: dishka.Container, middleware: Sequence[Middleware] = ()
) -> tuple[MessageBus, AllocationsView]:
    """Build the service's bus and read model from `container`, as `bootstrap` does by hand."""
    view = container.get(AllocationsView)
    # The bus is not in the container: a handler that dispatches a follow-up command is
    # given the bus it runs on, which an APP-scoped object shared by every bus could not be.
    bus = MessageBus(
        handlers,
        dependencies={"view": view},
        unit_of_work=container.get(AllocationWorkFactory),
        middleware=middleware,
    )
    return bus, view
