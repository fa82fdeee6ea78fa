"""Units of work: one business transaction, committed once, its events published after.

`AsyncUnitOfWork`/`UnitOfWork` hold the rules every unit of work follows (opened once,
rolled back unless committed, committed once, events collected after the commit). The
concrete units live with their backends: `tactica.stores.memory.InMemoryUnitOfWork`,
`tactica.stores.sqlite.SQLiteUnitOfWork`, `tactica.stores.postgres.PostgresUnitOfWork`,
`tactica.stores.sqlalchemy.SQLAlchemyUnitOfWork`, and `tactica.stores.sql.SQLUnitOfWork`
on any tactica SQL connection you already hold. Their old names here still work, with a
`DeprecationWarning`.
"""

from tactica._moved import moved_names as _moved_names
from tactica.uow._unit_async import AsyncUnitOfWork
from tactica.uow._unit_sync import UnitOfWork

__all__ = ["AsyncUnitOfWork", "UnitOfWork"]

__getattr__ = _moved_names(
    __name__,
    {
        "AsyncInMemoryUnitOfWork": "tactica.stores.memory",
        "InMemoryUnitOfWork": "tactica.stores.memory",
        "AsyncSQLUnitOfWork": "tactica.stores.sql",
        "SQLUnitOfWork": "tactica.stores.sql",
        "AsyncSQLiteUnitOfWork": "tactica.stores.sqlite",
        "SQLiteUnitOfWork": "tactica.stores.sqlite",
    },
)
