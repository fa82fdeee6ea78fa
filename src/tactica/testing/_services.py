"""Tests that need a real service: skipped where it is absent, never silently under CI."""

from __future__ import annotations

import os
import socket

import pytest

__all__ = ["require_service"]


def require_service(name: str, host: str, port: int) -> None:
    """Skip the calling test if nothing listens on `host`:`port`; fail instead under ``CI=true``.

    A laptop without PostgreSQL still runs the rest of the suite, while CI, which starts
    the services, can never lose these tests to a skip.
    """
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        reason = f"{name} is not reachable on {host}:{port}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required under CI=true)")
        pytest.skip(reason)
