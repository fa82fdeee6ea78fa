"""ORM-mapped aggregates in the SQLAlchemy unit of work (async colour), on a SQLite file.

The aggregate is mapped declaratively here (the contract maps one imperatively); its row,
a plain ORM read model and the outbox rows of its events commit or roll back together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from sqlalchemy import Column, Integer, String, Table, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.pool import NullPool

from tactica import ConcurrencyError, ConfigurationError
from tactica.dataclasses import AggregateRoot, DomainEvent
from tactica.stores._sql._schemas import schema_for
from tactica.stores.sqlalchemy import (
    AsyncSQLAlchemyConnection,
    AsyncSQLAlchemyRepository,
    AsyncSQLAlchemyUnitOfWork,
    async_create_schema,
    async_sqlite_engine,
)
from tactica.stores.sqlalchemy._compat import AsyncSession, async_create_tables, async_sessionmaker

mapper_registry = registry()
stock_table = Table(
    "stock_async",
    mapper_registry.metadata,
    Column("id", String(50), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)


class Restocked(DomainEvent, name="tests.sqlalchemy.restocked", integration=True):
    sku: str
    quantity: int


@mapper_registry.mapped
class Stock(AggregateRoot[str]):
    __table__ = stock_table
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": stock_table.c.version}

    quantity: int = 0

    def restock(self, quantity: int) -> None:
        self.quantity += quantity
        self.record(Restocked(sku=self.id, quantity=quantity))


class Base(DeclarativeBase):
    pass


class StockView(Base):
    __tablename__ = "stock_view_async"

    sku: Mapped[str] = mapped_column(String(50), primary_key=True)
    quantity: Mapped[int]


class Warehouse(AsyncSQLAlchemyUnitOfWork):
    def __init__(self, sessions: Callable[[], AsyncSession]) -> None:
        super().__init__(sessions)
        self.stock = self.mapped(Stock)


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Callable[[], AsyncSession]]:
    engine = async_sqlite_engine(tmp_path / "warehouse.db", poolclass=NullPool)
    await async_create_tables(engine, mapper_registry.metadata)
    await async_create_tables(engine, Base.metadata)
    factory = async_sessionmaker(engine)
    async with factory() as session:
        await async_create_schema(AsyncSQLAlchemyConnection(session))
        await session.commit()
    yield factory
    await engine.dispose()


async def _counts(sessions: Callable[[], AsyncSession]) -> tuple[int, int, int]:
    async with sessions() as session:
        stock = (await session.execute(select(Stock.quantity))).scalars().all()
        views = (await session.execute(select(StockView.quantity))).scalars().all()
        outbox = (await session.execute(text("SELECT COUNT(*) FROM tactica_outbox"))).scalar()
    return sum(stock), sum(views), int(outbox or 0)


@pytest.mark.asyncio
async def test_aggregate_read_model_and_outbox_commit_in_one_transaction(
    sessions: Callable[[], AsyncSession],
) -> None:
    """A commit stores the mapped aggregate, an ORM row added to the session and the outbox."""
    async with Warehouse(sessions) as uow:
        stock = Stock(id="chair")
        stock.restock(3)
        await uow.stock.add(stock)
        uow.session.add(StockView(sku="chair", quantity=3))
        await uow.commit()
    assert await _counts(sessions) == (3, 3, 1)
    assert [type(event) for event in uow.collect_events()] == [Restocked]


@pytest.mark.asyncio
async def test_a_stale_aggregate_rolls_back_the_read_model_and_the_outbox_too(
    sessions: Callable[[], AsyncSession],
) -> None:
    """A version conflict on the aggregate stores none of the unit of work's other rows."""
    async with Warehouse(sessions) as uow:
        await uow.stock.add(Stock(id="chair", quantity=1))
        uow.session.add(StockView(sku="chair", quantity=1))
        await uow.commit()
    async with Warehouse(sessions) as stale:
        copy = await stale.stock.get("chair")
        async with Warehouse(sessions) as rival:
            (await rival.stock.get("chair")).restock(1)
            await rival.commit()
        copy.restock(10)
        view = await stale.session.get(StockView, "chair")
        assert view is not None
        view.quantity = 11
        with pytest.raises(ConcurrencyError, match="'chair'"):
            await stale.commit()
    assert await _counts(sessions) == (2, 1, 1)


class Unmapped(AggregateRoot[str]):
    pass


class Unversioned(AggregateRoot[str]):
    pass


unversioned = Table(
    "unversioned_async",
    mapper_registry.metadata,
    Column("id", String(50), primary_key=True),
    Column("version", Integer),
)
mapper_registry.map_imperatively(Unversioned, unversioned)


class TwoKeys(AggregateRoot[str]):
    part: str = ""


two_keys = Table(
    "two_keys_async",
    mapper_registry.metadata,
    Column("id", String(50), primary_key=True),
    Column("part", String(50), primary_key=True),
    Column("version", Integer),
)
mapper_registry.map_imperatively(TwoKeys, two_keys, version_id_col=two_keys.c.version)


@pytest.mark.parametrize(
    ("aggregate_type", "complaint"),
    [
        (Unmapped, "is not mapped by SQLAlchemy"),
        (Unversioned, "without a version column"),
        (TwoKeys, "single-column primary key"),
    ],
)
@pytest.mark.asyncio
async def test_a_mapping_tactica_cannot_keep_safe_is_refused_when_the_repository_is_made(
    sessions: Callable[[], AsyncSession], aggregate_type: type[Any], complaint: str
) -> None:
    """No version column, no mapping, or a composite key: a ConfigurationError saying so."""
    async with sessions() as session:
        with pytest.raises(ConfigurationError, match=complaint):
            AsyncSQLAlchemyRepository(aggregate_type, session)


def test_tactica_tables_exist_only_for_the_dialects_it_knows() -> None:
    """Asking for tactica's schema on another dialect names the supported ones."""
    with pytest.raises(ConfigurationError, match="postgresql, sqlite"):
        schema_for("oracle")
