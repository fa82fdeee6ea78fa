# Generated from test_postgres_connection_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""A lost PostgreSQL connection (sync colour) raises tactica's errors, saying what is known."""

from __future__ import annotations

import os

import pytest
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from tactica.errors import CommitOutcomeUnknownError, DatabaseConnectionError
from tactica.stores.postgres import PostgresConnection
from tactica.testing import require_service


def _conninfo() -> str:
    return os.environ.get(
        "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
    )


def _connection_then_server_side_kill() -> PostgresConnection:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    conninfo = _conninfo()
    victim = PostgresConnection(conninfo)
    victim.begin()
    pid = (victim.fetch("SELECT pg_backend_pid()"))[0][0]
    control = PostgresConnection(conninfo)
    control.fetch("SELECT pg_terminate_backend(?)", (pid,))
    control.close()
    return victim


def test_a_statement_on_a_killed_connection_says_nothing_was_stored() -> None:
    """A connection killed mid-transaction fails the next statement with a typed error."""
    victim = _connection_then_server_side_kill()
    with pytest.raises(DatabaseConnectionError, match="nothing of it was stored") as raised:
        victim.execute("SELECT 1")
    assert not isinstance(raised.value, CommitOutcomeUnknownError)
    victim.rollback()  # a dead connection has nothing to roll back, and says nothing
    victim.close()


def test_a_commit_on_a_killed_connection_says_its_outcome_is_unknown() -> None:
    """COMMIT cannot tell whether the server got it before the connection died."""
    victim = _connection_then_server_side_kill()
    with pytest.raises(CommitOutcomeUnknownError, match="may or may not be stored"):
        victim.commit()
    victim.rollback()
    victim.close()


def test_a_pooled_connection_goes_back_idle_and_as_the_pool_lent_it() -> None:
    """A connection borrowed from a pool returns with no open transaction, its setting intact."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    pool = ConnectionPool(_conninfo(), min_size=1, max_size=1, open=False)
    pool.open()
    try:
        for _ in range(3):  # one connection in all: each must have been given back
            borrowed = PostgresConnection(pool)
            borrowed.begin()
            borrowed.fetch("SELECT 1")
            borrowed.close()  # mid-transaction, as a unit of work left by an error is
        with pool.connection() as raw:
            assert raw.autocommit is False
            assert raw.info.transaction_status == TransactionStatus.IDLE
    finally:
        pool.close()


def test_a_server_that_cannot_be_reached_is_a_typed_error() -> None:
    """Connecting to nothing raises DatabaseConnectionError, not the driver's error."""

    def query_nothing() -> None:
        connection = PostgresConnection("host=127.0.0.1 port=1 connect_timeout=1")
        connection.execute("SELECT 1")

    with pytest.raises(DatabaseConnectionError, match="cannot connect to PostgreSQL"):
        query_nothing()
