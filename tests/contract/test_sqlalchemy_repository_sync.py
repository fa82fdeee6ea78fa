# Generated from test_sqlalchemy_repository_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The SQLAlchemy repositories (sync colour) pass the repository contract.

Two kinds, on a SQLite file and on PostgreSQL: tactica's JSON-row repository running its SQL
in a SQLAlchemy session, and the repository of an aggregate mapped imperatively with the ORM
(nested entities in a JSON column, a version column checked by SQLAlchemy).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, delete
from sqlalchemy.orm import registry
from sqlalchemy.pool import NullPool

from tactica import uuid7
from tactica.dataclasses import AggregateRoot, Entity
from tactica.stores.sqlalchemy import (
    SQLAlchemyConnection,
    SQLAlchemyRepository,
    JsonValue,
    create_schema,
    sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import (
    Engine,
    Session,
    create_engine,
    create_tables,
    sessionmaker,
)
from tactica.stores.sqlite import SQLiteRepository
from tactica.testing import AccountId, RepositoryContract, Deposited, require_service
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
    "tactica_test_mapped_accounts_sync",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("balance", Integer, nullable=False),
    Column("cards", JsonValue(list[MappedCard] | None)),
    Column("version", Integer, nullable=False),
)
registry().map_imperatively(MappedAccount, accounts, version_id_col=accounts.c.version)


class _SessionsContract(RepositoryContract):
    """Each repository gets its own session; the fixture closes them all after the test."""

    on_postgres: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> Iterator[None]:
        if self.on_postgres:
            require_service("PostgreSQL", "127.0.0.1", 5432)
            engine: Engine = create_engine(POSTGRES_URL, poolclass=NullPool)
        else:
            engine = sqlite_engine(tmp_path / "store.db", poolclass=NullPool)
        self.engine = engine
        self.sessions: list[Session] = []
        self.type_name = f"tests.contract.{uuid7()}"
        create_tables(engine, metadata)
        with self.new_session() as session:
            create_schema(SQLAlchemyConnection(session))
            session.commit()
        yield
        for session in self.sessions:
            session.close()
        with self.new_session() as session:
            session.execute(delete(accounts))
            connection = SQLAlchemyConnection(session)
            connection.execute(
                "DELETE FROM tactica_aggregates WHERE aggregate_type = ?", (self.type_name,)
            )
            session.commit()
        engine.dispose()

    def new_session(self) -> Session:
        session = sessionmaker(self.engine)()
        self.sessions.append(session)
        return session

    def commit(self, repository: Any) -> None:
        repository.commit()


class TestSQLAlchemyRowsOnSQLite(_SessionsContract):
    def new_repository(self) -> Any:
        connection = SQLAlchemyConnection(self.new_session())
        return SQLiteRepository(self.account_type, connection, type_name=self.type_name)


class TestSQLAlchemyRowsOnSQLiteWithPydanticModels(TestSQLAlchemyRowsOnSQLite):
    account_type = PydanticAccount
    card_type = PydanticCard


class TestSQLAlchemyRowsOnPostgres(TestSQLAlchemyRowsOnSQLite):
    on_postgres = True


class TestSQLAlchemyMappedOnSQLite(_SessionsContract):
    account_type = MappedAccount
    card_type = MappedCard

    def new_repository(self) -> Any:
        return SQLAlchemyRepository(self.account_type, self.new_session())


class TestSQLAlchemyMappedOnPostgres(TestSQLAlchemyMappedOnSQLite):
    on_postgres = True


def test_mapping_is_used_as_declared(tmp_path: Path) -> None:
    """A mapped aggregate's fields land in their own columns, not in a JSON document."""
    engine = sqlite_engine(tmp_path / "columns.db", poolclass=NullPool)
    create_tables(engine, metadata)
    account = MappedAccount(owner="Ada", cards=[MappedCard(id="c-1")])
    with sessionmaker(engine)() as session:
        repository = SQLAlchemyRepository(MappedAccount, session)
        repository.add(account)
        repository.commit()
        row = (session.execute(accounts.select())).one()
    engine.dispose()
    assert (row.id, row.owner, row.balance, row.version) == (account.id, "Ada", 0, 1)
    assert row.cards == [MappedCard(id="c-1")]
