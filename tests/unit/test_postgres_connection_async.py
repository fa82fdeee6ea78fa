"""A lost PostgreSQL connection (async colour) raises tactica's errors, saying what is known."""

from __future__ import annotations

import os

import pytest
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool

from tactica.errors import CommitOutcomeUnknownError, DatabaseConnectionError
from tactica.stores.postgres import AsyncPostgresConnection
from tactica.testing import require_service


def _conninfo() -> str:
    return os.environ.get(
        "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
    )


async def _connection_then_server_side_kill() -> AsyncPostgresConnection:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    conninfo = _conninfo()
    victim = AsyncPostgresConnection(conninfo)
    await victim.begin()
    pid = (await victim.fetch("SELECT pg_backend_pid()"))[0][0]
    control = AsyncPostgresConnection(conninfo)
    await control.fetch("SELECT pg_terminate_backend(?)", (pid,))
    await control.close()
    return victim


@pytest.mark.asyncio
async def test_a_statement_on_a_killed_connection_says_nothing_was_stored() -> None:
    """A connection killed mid-transaction fails the next statement with a typed error."""
    victim = await _connection_then_server_side_kill()
    with pytest.raises(DatabaseConnectionError, match="nothing of it was stored") as raised:
        await victim.execute("SELECT 1")
    assert not isinstance(raised.value, CommitOutcomeUnknownError)
    await victim.rollback()  # a dead connection has nothing to roll back, and says nothing
    await victim.close()


@pytest.mark.asyncio
async def test_a_commit_on_a_killed_connection_says_its_outcome_is_unknown() -> None:
    """COMMIT cannot tell whether the server got it before the connection died."""
    victim = await _connection_then_server_side_kill()
    with pytest.raises(CommitOutcomeUnknownError, match="may or may not be stored"):
        await victim.commit()
    await victim.rollback()
    await victim.close()


@pytest.mark.asyncio
async def test_a_pooled_connection_goes_back_idle_and_as_the_pool_lent_it() -> None:
    """A connection borrowed from a pool returns with no open transaction, its setting intact."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    pool = AsyncConnectionPool(_conninfo(), min_size=1, max_size=1, open=False)
    await pool.open()
    try:
        for _ in range(3):  # one connection in all: each must have been given back
            borrowed = AsyncPostgresConnection(pool)
            await borrowed.begin()
            await borrowed.fetch("SELECT 1")
            await borrowed.close()  # mid-transaction, as a unit of work left by an error is
        async with pool.connection() as raw:
            assert raw.autocommit is False
            assert raw.info.transaction_status == TransactionStatus.IDLE
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_a_server_that_cannot_be_reached_is_a_typed_error() -> None:
    """Connecting to nothing raises DatabaseConnectionError, not the driver's error."""

    async def query_nothing() -> None:
        connection = AsyncPostgresConnection("host=127.0.0.1 port=1 connect_timeout=1")
        await connection.execute("SELECT 1")

    with pytest.raises(DatabaseConnectionError, match="cannot connect to PostgreSQL"):
        await query_nothing()
