"""A PostgreSQL server of the test session's own, for tests that kill its connections.

Destructive fault tests (``pg_terminate_backend``, triggers that park writers) must never
touch the shared server on port 5432, where other tests and other sessions run. This one
lives in a temporary directory, listens on a free loopback port, and is stopped and deleted
when the session ends.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` OS user.
Missing server binaries skip the tests locally and fail them under ``CI=true``, the rule of
`tactica.testing.require_service`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["ThrowawayPostgres", "start", "stop"]


@dataclass(frozen=True)
class ThrowawayPostgres:
    """A running throwaway server: where it lives and how to reach it."""

    bindir: Path
    directory: Path
    port: int
    run_as: tuple[str, ...]

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} dbname=postgres user=postgres"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def _bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    # Highest major version first: pg_config may belong to a client-only package.
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        msg = f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        raise RuntimeError(msg)


def start() -> ThrowawayPostgres:
    """Initialise and start a server in a new temporary directory; skip or fail if impossible."""
    bindir = _bindir()
    if bindir is None:
        _unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    directory = Path(tempfile.mkdtemp(prefix="tactica-throwaway-pg-"))
    run_as: tuple[str, ...] = ()
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(directory)
            _unavailable("running as root and there is no 'postgres' user for initdb")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        run_as = ("runuser", "-u", "postgres", "--")
    instance = ThrowawayPostgres(bindir, directory, _free_port(), run_as)
    try:
        # --no-sync only speeds up initdb; the server itself keeps fsync on.
        _run(
            [
                *run_as,
                str(bindir / "initdb"),
                "-D",
                str(instance.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        options = f"-p {instance.port} -k {directory} -c listen_addresses=127.0.0.1"
        _run(
            [
                *run_as,
                str(bindir / "pg_ctl"),
                "-D",
                str(instance.data),
                "-l",
                str(directory / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
    except BaseException:
        stop(instance)
        raise
    return instance


def stop(instance: ThrowawayPostgres) -> None:
    """Stop the server at once (it holds nothing worth a clean shutdown) and delete it."""
    try:
        if (instance.data / "postmaster.pid").exists():
            _run(
                [
                    *instance.run_as,
                    str(instance.bindir / "pg_ctl"),
                    "-D",
                    str(instance.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ]
            )
    finally:
        shutil.rmtree(instance.directory, ignore_errors=True)
