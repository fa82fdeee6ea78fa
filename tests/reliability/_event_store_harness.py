"""The shared harness of the event-store reliability tests (G1, G3, G17, G18).

It holds the broken twins of the event store, a loopback proxy that cuts PostgreSQL
connections at COMMIT (GUARANTEES.md §7), the writers that run in killed child processes,
and a small forking server that starts those children.

The forking server is this module run as a child interpreter (`serve`): it forks a worker
per request and answers with the worker's pid at once, so a test can SIGKILL the worker
whenever it likes and ask the server to reap it afterwards. Forking from a process that
already imported tactica starts a worker in milliseconds, and that process has no threads
and no open database, so the fork is safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from _uow_harness import is_busy

from tactica.errors import WrongExpectedVersionError
from tactica.ports import ANY, RecordedEvent, StreamAppend
from tactica.stores._sql._event_store_sync import SQLEventStore, kept_connection
from tactica.stores.postgres import PostgresEventStore
from tactica.stores.sqlite import SQLiteConnection, SQLiteEventStore
from tactica.testing import new_event

HERE = Path(__file__).resolve().parent


def payload(**fields: Any) -> bytes:
    """Return a JSON object payload; tests count stored copies by it."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


# Broken twins -------------------------------------------------------------------------------


class _IgnoresExpectedVersion:
    """The G1 twin: every append is made with ``ANY``, whatever the caller expected.

    This is what a store without the expected-version check does. The table's
    UNIQUE (stream_id, stream_version) still keeps any version from being stored twice,
    but it refuses nothing that was decided on a stale read: for ``ANY`` the store appends
    after whatever the stream holds by then (SQLite's write lock, or PostgreSQL's per-stream
    turn or re-read after a unique violation, put the losers behind the winner), so every
    writer of a round "wins", each with an event decided on a state that is gone. The check
    is what turns that into a `WrongExpectedVersionError` the writer can act on.
    """

    def commit(self, appends: Sequence[StreamAppend], **options: Any) -> Any:
        blind = [StreamAppend(part.stream_id, part.events, ANY) for part in appends]
        return super().commit(blind, **options)  # type: ignore[misc]


class SQLiteStoreIgnoringExpectedVersion(_IgnoresExpectedVersion, SQLiteEventStore):
    """tactica's SQLite event store without its expected-version check."""


class PostgresStoreIgnoringExpectedVersion(_IgnoresExpectedVersion, PostgresEventStore):
    """tactica's PostgreSQL event store without its expected-version check."""


class DeferredSQLiteConnection(SQLiteConnection):
    """The G18 twin's connection: a deferred ``BEGIN`` and a 1 ms busy timeout."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, busy_timeout=0.001)

    def begin(self) -> None:
        self._raw.execute("BEGIN")


class DeferredSQLiteEventStore(SQLiteEventStore):
    """The G18 twin: tactica's SQLite event store on a deferred-BEGIN connection."""

    def __init__(self, path: str | Path) -> None:
        self.connection = DeferredSQLiteConnection(path)
        SQLEventStore.__init__(self, kept_connection(self.connection))


# The loopback proxy that cuts a connection at COMMIT (GUARANTEES.md §7) ------------------------

_PROTOCOL_3 = 3 << 16  # the startup message's protocol version; SSL/GSS requests use others


@dataclass
class _Frontend:
    """The client's side of a connection: bytes not yet forwarded, and where it stands."""

    pending: bytes = b""
    started: bool = False  # past the startup message

    def next_message(self) -> bytes | None:
        """Take the first whole frontend message off `pending`, if there is one.

        Before the startup message, messages have no type byte (SSLRequest, GSSENCRequest
        and the StartupMessage itself); after it, each is a type byte and an int32 length.
        """
        head = 1 if self.started else 0
        if len(self.pending) < head + 4:
            return None
        (length,) = struct.unpack_from("!i", self.pending, head)
        if len(self.pending) < head + length:
            return None
        message = self.pending[: head + length]
        self.pending = self.pending[head + length :]
        if not self.started and len(message) >= 8:
            self.started = struct.unpack_from("!i", message, 4)[0] == _PROTOCOL_3
        return message


def _is_commit(message: bytes) -> bool:
    """Whether a frontend message is a simple Query of COMMIT (what psycopg sends)."""
    return message[:1] == b"Q" and message[5:].rstrip(b"\0").strip().upper() == b"COMMIT"


class CommitCuttingProxy:
    """A TCP proxy on 127.0.0.1 that cuts every connection at its first COMMIT.

    Bytes pass both ways until the client sends a simple Query of ``COMMIT``. Then, by
    `mode` (read when a connection is accepted):

    - ``"after"``: the whole COMMIT is forwarded, then both sides are closed before the
      server's reply: the server reads it, commits, and finds no one to answer;
    - ``"partial"``: only the first half of the COMMIT message is forwarded, then both
      sides are closed: the server sees a cut message and rolls back;
    - ``"pass"``: nothing is cut.

    To the client both cuts look the same, a connection lost while COMMIT was on its way.
    `cuts` lists the mode of every cut made.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # so that `close` stops the accepting thread at once
        self.port: int = self.listener.getsockname()[1]
        self._closed = threading.Event()
        self.mode = "after"
        self.cuts: list[str] = []
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def conninfo(self, dbname: str, application_name: str) -> str:
        """A libpq string through the proxy (no TLS or GSS negotiation to look through)."""
        return (
            f"host=127.0.0.1 port={self.port} dbname={dbname} user=postgres "
            f"sslmode=disable gssencmode=disable application_name={application_name}"
        )

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            thread = threading.Thread(target=self._relay, args=(client, self.mode), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _relay(self, client: socket.socket, mode: str) -> None:
        server = socket.create_connection(self.upstream)
        for side in (client, server):
            side.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._pump(client, server, mode)
        except OSError:
            pass  # either side went away: the relay is over
        finally:
            for side in (client, server):
                with contextlib.suppress(OSError):
                    side.shutdown(socket.SHUT_RDWR)
                side.close()

    def _pump(self, client: socket.socket, server: socket.socket, mode: str) -> None:
        """Relay bytes until a side closes, or until the client's COMMIT has been cut."""
        frontend = _Frontend()
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(server, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    if key.fileobj is server:
                        client.sendall(data)
                    elif self._forward(frontend, data, server, mode):
                        return

    def _forward(self, frontend: _Frontend, data: bytes, server: socket.socket, mode: str) -> bool:
        """Forward the client's whole messages; return True once a COMMIT was cut."""
        frontend.pending += data
        while (message := frontend.next_message()) is not None:
            if mode != "pass" and frontend.started and _is_commit(message):
                server.sendall(message if mode == "after" else message[: len(message) // 2])
                self.cuts.append(mode)
                return True
            server.sendall(message)
        return False

    def close(self) -> None:
        self._closed.set()
        self._accepting.join(timeout=5)
        self.listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


# Workers that run in forked (and killed) child processes ----------------------------------------


def _ledger(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def _note(ledger: int, line: str) -> None:
    os.write(ledger, f"{line}\n".encode())
    os.fsync(ledger)


def sqlite_writer(*, index: int, path: str, ledger: str, stream_id: str, twin: bool) -> None:
    """Append one event at a time to a stream until killed, noting each acked event id.

    tactica's way: the id is written (and fsynced) to the ledger after `append` returned.
    The twin writes it before the append (ack-before-commit), on a connection with
    ``PRAGMA synchronous=OFF``.
    """
    del index
    store = SQLiteEventStore(path)
    if twin:
        store.connection._raw.execute("PRAGMA synchronous=OFF")
    acks = _ledger(ledger)
    version = store.stream_version(stream_id)
    while True:
        event = new_event("tests.g17.written", payload(stream=stream_id, n=version + 1))
        if twin:
            _note(acks, str(event.event_id))
        store.append(stream_id, [event], version)
        if not twin:
            _note(acks, str(event.event_id))
        version += 1


def contend(
    *,
    index: int,
    path: str,
    stream_id: str,
    writer: str,
    start_at: float,
    seconds: float,
    deferred: bool,
    results: str | None = None,
) -> dict[str, Any]:
    """Append to one stream at the version just read, retrying on conflict, until time is up.

    A `WrongExpectedVersionError` is the expected conflict and is retried by the next
    iteration; anything else is counted as "busy" or "other", with a few samples.
    """
    store = DeferredSQLiteEventStore(path) if deferred else SQLiteEventStore(path)
    tally: Tally[str] = Tally()
    samples: list[str] = []
    acked: list[str] = []
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + seconds
    while time.time() < deadline:
        try:
            version = store.stream_version(stream_id)
            event = new_event("tests.g18.appended", payload(writer=f"{writer}-{index}"))
            store.append(stream_id, [event], version)
        except WrongExpectedVersionError:
            tally["conflicts"] += 1
        except Exception as error:  # noqa: BLE001 - counted: G18 forbids any of these
            tally["busy" if is_busy(error) else "other"] += 1
            if len(samples) < 5:
                samples.append(repr(error))
        else:
            tally["appends"] += 1
            acked.append(str(event.event_id))
    store.close()
    result = {"tally": dict(tally), "samples": samples, "acked": acked}
    if results is not None:
        Path(f"{results}-{index}.json").write_text(json.dumps(result))
    return result


WORKERS = {"sqlite_writer": sqlite_writer, "contend": contend}


# The forking server ---------------------------------------------------------------------------


def serve() -> None:
    """Answer JSON requests on stdin, one per line: fork workers (pids), or reap them (codes)."""
    sys.stdout.write("ready\n")  # tactica is imported: forks from now on start at once
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "fork":
            reply = []
            for index in range(request["processes"]):
                pid = os.fork()
                if pid == 0:
                    _work(request, index)
                reply.append(pid)
        else:
            reply = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in request["pids"]]
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def _work(request: dict[str, Any], index: int) -> NoReturn:
    code = 0
    try:
        WORKERS[request["call"]](index=index, **request["kwargs"])
    except BaseException:  # noqa: BLE001 - reported by exit status; the traceback goes to stderr
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


class Forker:
    """The test side of `serve`: one child interpreter that forks the workers asked for."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import _event_store_harness; _event_store_harness.serve()"],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        # Wait out the interpreter's start-up here, not inside a test's timed window.
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        if ready != "ready\n":
            msg = f"the forking server did not start: {ready!r}, exit {self.process.poll()}"
            raise RuntimeError(msg)

    def _ask(self, request: dict[str, Any]) -> list[int]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            msg = f"the forking server exited with {self.process.wait()}"
            raise RuntimeError(msg)
        answer: list[int] = json.loads(line)
        return answer

    def fork(self, call: str, processes: int = 1, **kwargs: Any) -> list[int]:
        """Start `processes` workers running `call(index=i, **kwargs)`; return their pids."""
        return self._ask({"op": "fork", "call": call, "processes": processes, "kwargs": kwargs})

    def wait(self, pids: list[int]) -> list[int]:
        """Wait for workers to end; return their exit codes (-9: killed by SIGKILL)."""
        return self._ask({"op": "wait", "pids": pids})

    def close(self) -> None:
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


def recorded_events(path: str | Path) -> list[RecordedEvent]:
    """Every event stored in a SQLite file, in position order (one fresh store's read)."""
    store = SQLiteEventStore(path)
    try:
        events: list[RecordedEvent] = []
        while batch := store.read_all(after=events[-1].position if events else 0, limit=5000):
            events.extend(batch)
        return events
    finally:
        store.close()
