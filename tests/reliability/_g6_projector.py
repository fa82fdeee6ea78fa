"""The processes the G6 crash tests kill: a `ProjectionRunner` catching up to a position.

`serve` (``python -c "import _g6_projector; _g6_projector.serve()"``) forks one worker per
JSON request on stdin, ``{"args": [...], "env": {...}}``; it answers ``{"pid": ...}`` at
once and ``{"code": ...}`` when the worker is gone. Forking from an interpreter that
imported tactica already starts a worker in milliseconds rather than the seconds a fresh
interpreter takes on a busy machine. A worker (`main`: backend, where, namespace, last
position, batch size) runs until the checkpoint is at the last position and exits 0;
`_g6_model.CRASH_ENV` makes its handler die on the way, and `_g6_model.SPLIT_ENV` runs
the split-commit broken twin instead of the real store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, NoReturn

from _g6_model import NAME, SPLIT_ENV, Accounts, SplitCommit, Target, new_codec, store_kind

from tactica.projections import ProjectionRunner


def main(args: list[str]) -> int:
    """Catch the projection up to the given position; return the exit status."""
    target = Target.from_args(args[:3])
    last, batch = int(args[3]), int(args[4])
    split = os.environ.get(SPLIT_ENV) == "1"
    store = target.open(store_kind(target, SplitCommit) if split else None)
    # A short lease: on SQLite a killed holder keeps its row until the lease runs out.
    runner = ProjectionRunner(
        store, Accounts(), codec=new_codec(), batch_size=batch, lease_ttl=0.3, poll_interval=0.02
    )
    deadline = time.monotonic() + 60
    while store.checkpoint(NAME) != last:
        if time.monotonic() > deadline:
            print(f"stuck at {store.checkpoint(NAME)} of {last}", file=sys.stderr)
            return 1
        if runner.run_until_caught_up() == 0:
            time.sleep(0.02)
    store.close()
    return 0


def serve() -> None:
    """Fork a worker per request line on stdin; report its pid, then its exit code."""
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _work(request)
        _answer({"pid": pid})
        _answer({"code": os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])})


def _answer(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _work(request: dict[str, Any]) -> NoReturn:
    os.environ.update(request["env"])
    try:
        code = main(request["args"])
    except BaseException:  # noqa: BLE001 - reported by exit status; the traceback goes to stderr
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


class Forker:
    """The test side of `serve`: one interpreter that forks the workers the tests kill."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import _g6_projector; _g6_projector.serve()"],
            cwd=Path(__file__).resolve().parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, args: list[str], env: dict[str, str]) -> int:
        """Fork a worker running `main(args)` with `env` added; return its pid."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"args": args, "env": env}) + "\n")
        self.process.stdin.flush()
        pid: int = self._read()["pid"]
        return pid

    def wait(self) -> int:
        """Return the exit code of the worker started last (negative: killed by that signal)."""
        code: int = self._read()["code"]
        return code

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            msg = f"the forking server exited with {self.process.wait()}"
            raise RuntimeError(msg)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        """Stop the server (it exits at the end of its input)."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
