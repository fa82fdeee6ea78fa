"""Driver errors turned into tactica's: PURE, by the codes drivers attach to their errors.

SQLite's errors carry ``sqlite_errorname`` (``SQLITE_BUSY``...), psycopg's a SQLSTATE
(``sqlstate``), and SQLAlchemy wraps either as ``orig``; classifying by those codes keeps
this module free of every driver, so each backend's connection (and SQLAlchemy, on either
driver) translates the same way. A translated error always chains the driver's.
"""

from __future__ import annotations

from tactica.errors import (
    ConcurrencyError,
    ConstraintViolationError,
    DatabaseConnectionError,
    DatabaseError,
    LockTimeoutError,
    SchemaMissingError,
    TacticaError,
)

__all__ = ["closed_connection", "schema_missing", "translated"]

_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
_SQLITE_UNAVAILABLE = ("SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_READONLY")


def schema_missing(backend: str, detail: object) -> SchemaMissingError:
    """Return the error for a statement on a table of tactica's that does not exist."""
    return SchemaMissingError(
        f"tactica's tables are not in this database ({detail}): create them once, before "
        f"first use, with tactica.stores.{backend}.create_schema(connection) (or "
        "async_create_schema) on a connection to this database"
        + (" with the same namespace" if backend == "postgres" else "")
    )


def closed_connection(backend: str) -> DatabaseConnectionError:
    """Return the error for a connection used after tactica closed it."""
    return DatabaseConnectionError(
        f"this {backend} connection was closed (the unit of work's block ended, or its store "
        "was closed) and cannot be used again: open a new unit of work or store"
    )


def translated(
    error: BaseException, backend: str, *, busy_timeout: float | None = None
) -> TacticaError:
    """Return tactica's error for a driver's `error` (raise it ``from error``).

    `backend` names the tactica module that creates the schema (``sqlite`` or
    ``postgres``); `busy_timeout` is the SQLite connection's, quoted in a lock timeout.
    """
    cause = getattr(error, "orig", None) or error
    if isinstance(cause, TacticaError):
        return cause
    name = getattr(cause, "sqlite_errorname", None)
    if isinstance(name, str):
        return _sqlite(cause, name, busy_timeout)
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if isinstance(state, str):
        return _postgres(cause, state, backend)
    return _unclassified(cause, backend)


def _sqlite(error: BaseException, name: str, busy_timeout: float | None) -> TacticaError:
    text = str(error)
    waited = (
        "its busy timeout" if busy_timeout is None else f"its busy timeout ({busy_timeout:g} s)"
    )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return LockTimeoutError(
            f"SQLite waited longer than {waited} for the database's lock ({text}); the "
            "transaction stored nothing: retry, give the store a longer busy_timeout=, or "
            "look for a transaction that holds the file for long"
        )
    if name in _SQLITE_UNIQUE:
        return ConstraintViolationError(f"SQLite refused a duplicate key ({text})")
    if text.startswith("no such table: tactica_"):
        return schema_missing("sqlite", text)
    if name == "SQLITE_FULL":
        return DatabaseError(
            f"the disk holding the SQLite database is full ({text}); the transaction stored "
            "nothing: free space and retry"
        )
    if name.startswith(_SQLITE_UNAVAILABLE):
        return DatabaseError(
            f"SQLite cannot use this database file ({name}: {text}); check the path, its "
            "permissions and that it is a SQLite database"
        )
    return DatabaseError(f"SQLite failed the statement ({name}: {text})")


_POSTGRES: dict[str, tuple[type[TacticaError], str]] = {
    "23505": (ConstraintViolationError, "PostgreSQL refused a duplicate key ({text})"),
    "55P03": (
        LockTimeoutError,
        (
            "PostgreSQL gave up waiting for a lock ({text}); the transaction stored nothing: "
            "retry, or find what holds the lock"
        ),
    ),
    "40001": (
        ConcurrencyError,
        (
            "PostgreSQL ended the transaction on a serialization failure ({text}); nothing of "
            "it was stored: retry it"
        ),
    ),
    "40P01": (
        ConcurrencyError,
        (
            "PostgreSQL ended the transaction on a deadlock with another one ({text}); nothing "
            "of it was stored: retry it"
        ),
    ),
    "57014": (
        DatabaseError,
        (
            "PostgreSQL cancelled the statement ({text}): its statement_timeout passed or "
            "someone cancelled it; the transaction stored nothing"
        ),
    ),
    "53300": (
        DatabaseConnectionError,
        "PostgreSQL has no connection slot left ({text}): use a pool, or raise max_connections",
    ),
}


def _postgres(error: BaseException, state: str, backend: str) -> TacticaError:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if state == "42P01" and "tactica_" in text:
        return schema_missing(backend, text)
    if state in _POSTGRES:
        kind, template = _POSTGRES[state]
        return kind(template.format(text=text))
    if state.startswith(("08", "57P")):
        return DatabaseConnectionError(
            f"PostgreSQL closed or refused the connection ({text}); nothing of the "
            "transaction was stored: retry with a new unit of work"
        )
    return DatabaseError(f"PostgreSQL failed the statement (SQLSTATE {state}: {text})")


def _unclassified(error: BaseException, backend: str) -> TacticaError:
    # Errors raised before a statement reached the server: the driver could not adapt a
    # value (NUL in text, an int too large) or the connection was unusable.
    kind = type(error).__name__
    if kind in {"InterfaceError", "PoolTimeout", "PoolClosed"}:
        return DatabaseConnectionError(
            f"the {backend} connection is not usable ({kind}: {error}); retry with a new "
            "unit of work, or give the pool more connections or a longer timeout"
        )
    return DatabaseError(f"the {backend} driver refused the statement ({kind}: {error})")
