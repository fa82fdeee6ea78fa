"""The SQLAlchemy repositories (async colour) pass the repository contract.

Two kinds, on a SQLite file and on PostgreSQL: tactica's JSON-row repository running its SQL
in a SQLAlchemy session, and the repository of an aggregate mapped imperatively with the ORM
(nested entities in a JSON column, a version column checked by SQLAlchemy).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, delete
from sqlalchemy.orm import registry
from sqlalchemy.pool import NullPool

from tactica import uuid7
from tactica.dataclasses import AggregateRoot, Entity
from tactica.stores.sqlalchemy import (
    AsyncSQLAlchemyConnection,
    AsyncSQLAlchemyRepository,
    JsonValue,
    async_create_schema,
    async_sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import (
    AsyncEngine,
    AsyncSession,
    async_create_engine,
    async_create_tables,
    async_sessionmaker,
)
from tactica.stores.sqlite import AsyncSQLiteRepository
from tactica.testing import AccountId, AsyncRepositoryContract, Deposited, require_service
from tactica.testing.pydantic import Account as PydanticAccount
from tactica.testing.pydantic import Card as PydanticCard

POSTGRES_URL = os.environ.get(
    "TACTICA_TEST_SQLALCHEMY_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class MappedCard(Entity[str]):
    """The contract's card, stored inside its account's row as JSON."""

    blocked: bool = False


class MappedAccount(AggregateRoot[AccountId]):
    """The contract's account, as an ORM-mapped aggregate."""

    owner: str
    balance: int = 0
    cards: list[MappedCard] | None = None

    def deposit(self, amount: int) -> None:
        """Pay `amount` in and record it."""
        self.balance += amount
        self.record(Deposited(account_id=self.id, amount=amount))


metadata = MetaData()
accounts = Table(
    "tactica_test_mapped_accounts_async",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("balance", Integer, nullable=False),
    Column("cards", JsonValue(list[MappedCard] | None)),
    Column("version", Integer, nullable=False),
)
registry().map_imperatively(MappedAccount, accounts, version_id_col=accounts.c.version)


class _SessionsContract(AsyncRepositoryContract):
    """Each repository gets its own session; the fixture closes them all after the test."""

    on_postgres: ClassVar[bool] = False

    @pytest_asyncio.fixture(autouse=True)
    async def _database(self, tmp_path: Path) -> AsyncIterator[None]:
        if self.on_postgres:
            require_service("PostgreSQL", "127.0.0.1", 5432)
            engine: AsyncEngine = async_create_engine(POSTGRES_URL, poolclass=NullPool)
        else:
            engine = async_sqlite_engine(tmp_path / "store.db", poolclass=NullPool)
        self.engine = engine
        self.sessions: list[AsyncSession] = []
        self.type_name = f"tests.contract.{uuid7()}"
        await async_create_tables(engine, metadata)
        async with self.new_session() as session:
            await async_create_schema(AsyncSQLAlchemyConnection(session))
            await session.commit()
        yield
        for session in self.sessions:
            await session.close()
        async with self.new_session() as session:
            await session.execute(delete(accounts))
            connection = AsyncSQLAlchemyConnection(session)
            await connection.execute(
                "DELETE FROM tactica_aggregates WHERE aggregate_type = ?", (self.type_name,)
            )
            await session.commit()
        await engine.dispose()

    def new_session(self) -> AsyncSession:
        session = async_sessionmaker(self.engine)()
        self.sessions.append(session)
        return session

    async def commit(self, repository: Any) -> None:
        await repository.commit()


class TestAsyncSQLAlchemyRowsOnSQLite(_SessionsContract):
    def new_repository(self) -> Any:
        connection = AsyncSQLAlchemyConnection(self.new_session())
        return AsyncSQLiteRepository(self.account_type, connection, type_name=self.type_name)


class TestAsyncSQLAlchemyRowsOnSQLiteWithPydanticModels(TestAsyncSQLAlchemyRowsOnSQLite):
    account_type = PydanticAccount
    card_type = PydanticCard


class TestAsyncSQLAlchemyRowsOnPostgres(TestAsyncSQLAlchemyRowsOnSQLite):
    on_postgres = True


class TestAsyncSQLAlchemyMappedOnSQLite(_SessionsContract):
    account_type = MappedAccount
    card_type = MappedCard

    def new_repository(self) -> Any:
        return AsyncSQLAlchemyRepository(self.account_type, self.new_session())


class TestAsyncSQLAlchemyMappedOnPostgres(TestAsyncSQLAlchemyMappedOnSQLite):
    on_postgres = True


@pytest.mark.asyncio
async def test_mapping_is_used_as_declared(tmp_path: Path) -> None:
    """A mapped aggregate's fields land in their own columns, not in a JSON document."""
    engine = async_sqlite_engine(tmp_path / "columns.db", poolclass=NullPool)
    await async_create_tables(engine, metadata)
    account = MappedAccount(owner="Ada", cards=[MappedCard(id="c-1")])
    async with async_sessionmaker(engine)() as session:
        repository = AsyncSQLAlchemyRepository(MappedAccount, session)
        await repository.add(account)
        await repository.commit()
        row = (await session.execute(accounts.select())).one()
    await engine.dispose()
    assert (row.id, row.owner, row.balance, row.version) == (account.id, "Ada", 0, 1)
    assert row.cards == [MappedCard(id="c-1")]
