"""Sync buses refuse coroutine handlers at build time; async buses take both colours."""

from __future__ import annotations

import pytest

from tactica import AsyncMessageBus, Handlers, MessageBus
from tactica.dataclasses import Query


class Ping(Query[str]):
    pass


def test_a_sync_bus_refuses_an_async_handler_and_says_what_to_use() -> None:
    handlers = Handlers()

    @handlers.query(message_type=Ping)
    async def ping(query: Ping) -> str:
        return "pong"

    with pytest.raises(TypeError, match=r"ping is an async def.*AsyncMessageBus"):
        MessageBus(handlers)
    AsyncMessageBus(handlers)


@pytest.mark.asyncio
async def test_an_async_bus_runs_plain_function_handlers() -> None:
    handlers = Handlers()

    @handlers.query(message_type=Ping)
    def ping(query: Ping) -> str:
        return "pong"

    assert await AsyncMessageBus(handlers).dispatch(Ping()) == "pong"
    assert MessageBus(handlers).dispatch(Ping()) == "pong"


def test_a_bad_event_failure_policy_is_a_configuration_error() -> None:
    from tactica import ConfigurationError

    with pytest.raises(ConfigurationError, match="'raise' or 'isolate'"):
        MessageBus(Handlers(), event_failures="ignore")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
