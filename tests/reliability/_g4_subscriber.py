"""G4(d): subscriber processes, forked from one pre-imported interpreter and SIGKILLed.

Starting a fresh interpreter with tactica and psycopg takes over a second on a busy
machine; the forking server imports once, then forks a subscriber per request in
milliseconds. The server holds no connection and runs no thread, so forking it is safe.
Each subscriber runs the counting projection's runner until SIGKILL, or until SIGTERM
asks it to stop after its batch in hand.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from _g4_harness import Target

__all__ = ["Subscribers", "serve"]

HERE = Path(__file__).resolve().parent


def _subscribe(target: Target) -> NoReturn:
    code = 0
    stopping: list[object] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(None))
    try:
        store = target.store()
        runner = target.runner(store)
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        if not stopping:
            runner.run()
    except BaseException:  # noqa: BLE001 - reported by exit status; the traceback goes to stderr
        traceback.print_exc()
        code = 1
    os._exit(code)


def serve() -> None:
    """Answer requests on stdin: ``start`` forks a subscriber, ``kill``/``stop`` end it."""
    sys.stdout.write("0\n")  # imported: ready
    sys.stdout.flush()
    for line in sys.stdin:
        request: dict[str, Any] = json.loads(line)
        if request["do"] == "start":
            pid = os.fork()
            if pid == 0:
                _subscribe(Target(**request["target"]))
            answer: object = pid
        else:
            how = signal.SIGKILL if request["do"] == "kill" else signal.SIGTERM
            os.kill(request["pid"], how)
            answer = os.waitstatus_to_exitcode(os.waitpid(request["pid"], 0)[1])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class Subscribers:
    """The test side of `serve`: start a subscriber, SIGKILL it, or stop it at the end."""

    def __init__(self) -> None:
        """Start the forking server (it imports tactica once)."""
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import _g4_subscriber; _g4_subscriber.serve()"],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # wait for the imports, not to eat into a load run

    def _ask(self, **request: Any) -> int:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            msg = f"the forking server exited with {self.process.wait()}"
            raise RuntimeError(msg)
        answer: int = json.loads(line)
        return answer

    def start(self, target: Target) -> int:
        """Fork a subscriber of `target`; return its pid."""
        return self._ask(do="start", target=asdict(target))

    def kill(self, pid: int) -> int:
        """SIGKILL the subscriber; return its exit code (-9 if it was still running)."""
        return self._ask(do="kill", pid=pid)

    def stop(self, pid: int) -> int:
        """SIGTERM the subscriber, which stops after its batch; return its exit code."""
        return self._ask(do="stop", pid=pid)

    def close(self) -> None:
        """End the forking server."""
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
