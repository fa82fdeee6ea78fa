"""SQLAlchemy's paired async/sync names, so that each sync twin here is a plain rename.

Keep each pair next to each other; ``tools/unasync.py`` drops the ``Async``/``async_``
prefix, which must land on the sync name.
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as async_create_engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "AsyncEngine",
    "AsyncSession",
    "Engine",
    "Session",
    "async_create_engine",
    "async_create_tables",
    "async_plain_session",
    "async_sessionmaker",
    "create_engine",
    "create_tables",
    "plain_session",
    "sessionmaker",
]


def async_plain_session(session: AsyncSession) -> Session:
    """Return the ORM session an async session drives (for settings and flags)."""
    return session.sync_session


def plain_session(session: Session) -> Session:
    """Return the session itself: the sync twin of `async_plain_session`."""
    return session


async def async_create_tables(engine: AsyncEngine, metadata: MetaData) -> None:
    """Create the tables of `metadata` that do not exist yet."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Create the tables of `metadata` that do not exist yet."""
    with engine.begin() as connection:
        metadata.create_all(connection)
