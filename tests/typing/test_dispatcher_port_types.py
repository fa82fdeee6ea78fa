"""Checked by mypy --strict and pyright: each bus is its colour's dispatcher port, typed."""

from __future__ import annotations

import asyncio
from typing import assert_type

from tactica import AsyncMessageBus, Handlers, InMemoryDatabase, MessageBus
from tactica.dataclasses import Command
from tactica.ports import AsyncDispatcher, Dispatcher
from tactica.stores.memory import InMemoryUnitOfWork


class Double(Command[int], name="typing.dispatcher.double"):
    value: int


handlers = Handlers()


@handlers.command
def double(command: Double) -> int:
    return command.value * 2


def follow_up(dispatcher: Dispatcher) -> int:
    return assert_type(dispatcher.dispatch(Double(value=2)), int)


async def follow_up_async(dispatcher: AsyncDispatcher) -> int:
    return assert_type(await dispatcher.dispatch(Double(value=3)), int)


def test_a_sync_bus_is_a_dispatcher_and_its_results_stay_typed() -> None:
    assert follow_up(MessageBus(handlers)) == 4


def test_an_async_bus_is_an_async_dispatcher_and_its_results_stay_typed() -> None:
    assert asyncio.run(follow_up_async(AsyncMessageBus(handlers))) == 6


class TicketsWork(InMemoryUnitOfWork):
    pass


class ProjectsWork(InMemoryUnitOfWork):
    pass


def test_a_bus_takes_one_unit_of_work_factory_per_context_class() -> None:
    database = InMemoryDatabase()
    bus = MessageBus(
        Handlers(handlers, unit_of_work=TicketsWork),
        unit_of_work={
            TicketsWork: lambda: TicketsWork(database),
            ProjectsWork: lambda: ProjectsWork(database),
        },
    )
    assert follow_up(bus) == 4
