"""The bus and units of work (async colour): what holds whatever the backend."""

from __future__ import annotations

from typing import Any

import pytest

from tactica import AsyncMessageBus, ConfigurationError, Handlers
from tactica.dataclasses import Command


class Count(Command[int], name="tests.uow.count"):
    sku: str


def test_a_handler_wanting_a_unit_of_work_needs_a_bus_that_makes_them() -> None:
    """A handler asking for a unit of work is refused at build time by a bus without a factory."""
    handlers = Handlers()

    @handlers.command(message_type=Count)
    def count(command: Count, uow: Any) -> int:
        return 0

    with pytest.raises(ConfigurationError, match="unit_of_work="):
        AsyncMessageBus(handlers)
