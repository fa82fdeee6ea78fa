"""PostgreSQL projection leases: what the contract cannot show with one store.

A lease given back on a pool must free the projection for other connections (its
connection goes back to the pool, so the session lock is unlocked first), and a runner
refused the lease must not leave its connection open.
"""

from __future__ import annotations

import gc
import os
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from tactica import uuid7
from tactica.projections import ProjectionRunner
from tactica.stores.postgres import PostgresConnection, PostgresEventStore, create_schema
from tactica.testing import require_service
from tactica.testing._projection_support_sync import CODEC, Totals

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


@pytest.fixture
def namespace() -> Iterator[str]:
    """A PostgreSQL schema of the test's own, with tactica's tables, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"leases_{uuid7().hex[-12:]}"
    connection = PostgresConnection(POSTGRES, namespace=name)
    create_schema(connection)
    connection.close()
    yield name
    admin = PostgresConnection(POSTGRES)
    admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    admin.close()


def _taken_within(lease: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not lease.acquire():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_lease_released_on_a_pool_frees_the_projection(namespace: str) -> None:
    """After the holder on a pool releases the lease, a runner on another connection takes it."""
    with ConnectionPool(POSTGRES, min_size=1, max_size=2) as pool:
        holder = PostgresEventStore(pool, namespace=namespace).lease("totals", ttl=10.0)
        assert holder.acquire()
        holder.release()
        standby_store = PostgresEventStore(POSTGRES, namespace=namespace)
        standby = standby_store.lease("totals", ttl=10.0)
        try:
            assert _taken_within(standby, 0.5)
        finally:
            standby.release()
            standby_store.close()


def test_a_runner_that_finds_the_lease_taken_leaves_no_connection_open(namespace: str) -> None:
    """A runner that cannot get the lease closes the connection it tried it on."""
    store = PostgresEventStore(POSTGRES, namespace=namespace)
    holder = store.lease("totals", ttl=10.0)
    try:
        assert holder.acquire()
        runner = ProjectionRunner(store, Totals(), codec=CODEC)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert runner.run_until_caught_up() == 0
            gc.collect()
        leaked = [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert leaked == [], [str(w.message) for w in leaked]
    finally:
        holder.release()
        store.close()
