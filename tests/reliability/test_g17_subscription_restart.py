"""Subscriptions resume after a database crash-restart, from their checkpoint, with 0 missed.

GUARANTEES.md §7 "Database restart": a `ProjectionRunner` follows a writer on the
throwaway PostgreSQL server while the server is crash-restarted twice (``pg_ctl restart
-m immediate``). The runner backs off while the server is down, renews its connections,
and carries on from the stored checkpoint: every acked event is applied exactly once.
The broken twin keeps its first connection for good, as the store did before it learned
to renew one, and so never sees another event after the first restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from _throwaway_postgres import ThrowawayPostgres
from test_g17_durability import _restart_immediately

from tactica.codec import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.errors import DatabaseConnectionError
from tactica.eventsourcing import to_new_event
from tactica.projections import Projection, ProjectionRunner, ProjectionTransaction, handles
from tactica.stores._sql._event_store_sync import kept_connection
from tactica.stores.postgres import PostgresEventStore

SETTLE_TIMEOUT = 60.0


class Ticked(DomainEvent, name="tests.g17.ticked"):
    n: int


def _codec() -> JsonCodec:
    registry = TypeRegistry()
    registry.register(Ticked)
    return JsonCodec(registry)


class Applied(Projection):
    """Counts every application of every tick, so a duplicate shows as a count of 2."""

    name = "g17-applied"

    @handles
    def ticked(self, event: Ticked, tx: ProjectionTransaction) -> None:
        key = str(event.n)
        tx.put("ticks", key, (tx.get("ticks", key) or 0) + 1)


class KeepsItsDeadConnection(PostgresEventStore):
    """The broken twin: one connection for good, even after the server dropped it."""

    def _renewed_kept_connection(self) -> Any:
        assert self._kept is not None
        return kept_connection(self._kept)


def _append_until_stored(conninfo: str, codec: JsonCodec, n: int) -> None:
    """Append tick `n`, retrying with the same event id until it is known to be stored."""
    event = to_new_event(codec, Ticked(n=n))
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        assert time.monotonic() < deadline, f"tick {n} did not settle in time"
        try:
            store = PostgresEventStore(conninfo)
        except DatabaseConnectionError:
            time.sleep(0.05)
            continue
        try:
            store.append(f"tick-{n}", [event])
        except DatabaseConnectionError:
            time.sleep(0.05)
        else:
            return
        finally:
            store.close()


@contextmanager
def _following(store: PostgresEventStore, codec: JsonCodec) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(
        store, Applied(), codec=codec, poll_interval=0.05, max_backoff=0.5, lease_ttl=2.0
    )
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        runner.stop()
        thread.join(timeout=30)


def _run_with_restarts(
    server: ThrowawayPostgres, conninfo: str, store: PostgresEventStore, *, settle: float
) -> tuple[dict[str, int], int]:
    """Append 60 ticks around two crash restarts; return the applied counts once settled."""
    codec = _codec()
    with _following(store, codec):
        for n in range(60):
            if n in {20, 40}:
                _restart_immediately(server)
            _append_until_stored(conninfo, codec, n)
        deadline = time.monotonic() + settle
        applied: dict[str, int] = {}
        while time.monotonic() < deadline:
            try:
                reader = PostgresEventStore(conninfo)
                applied = reader.documents("g17-applied", "ticks")
                reader.close()
            except DatabaseConnectionError:
                pass
            if len(applied) == 60:
                break
            time.sleep(0.1)
    checker = PostgresEventStore(conninfo)
    try:
        return applied, len(checker.read_all(limit=1000))
    finally:
        checker.close()


def test_a_runner_resumes_after_crash_restarts_with_every_event_applied_once(
    throwaway_postgres: ThrowawayPostgres, postgres_conninfo: str
) -> None:
    """Two immediate restarts under load: 60 acked ticks, each applied exactly once."""
    store = PostgresEventStore(postgres_conninfo)
    try:
        applied, stored = _run_with_restarts(
            throwaway_postgres, postgres_conninfo, store, settle=20.0
        )
    finally:
        store.close()
    print(f"G17 subscription: stored={stored}, applied={len(applied)}, restarts=2")
    assert stored == 60
    assert applied == {str(n): 1 for n in range(60)}


def test_the_twin_that_keeps_its_dead_connection_misses_everything_after_a_restart(
    throwaway_postgres: ThrowawayPostgres, postgres_conninfo: str
) -> None:
    """A store that never renews its connection stops applying at the first restart."""
    store = KeepsItsDeadConnection(postgres_conninfo)
    try:
        applied, stored = _run_with_restarts(
            throwaway_postgres, postgres_conninfo, store, settle=3.0
        )
    finally:
        store.close()
    assert stored == 60
    assert len(applied) < 60
