"""require_service: a missing service skips a test on a laptop and fails it under CI."""

from __future__ import annotations

import socket

import pytest

from tactica.testing import require_service


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_missing_service_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Nothing is not reachable"):
        require_service("Nothing", "127.0.0.1", _closed_port())


def test_a_missing_service_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI=true"):
        require_service("Nothing", "127.0.0.1", _closed_port())


def test_a_listening_service_lets_the_test_run() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        require_service("Listener", "127.0.0.1", server.getsockname()[1])
