"""G14 on PostgreSQL and SQLite: SQL identifiers cannot be injected.

A namespace (PostgreSQL schema) comes from configuration: it is checked against a strict
pattern and refused before any connection is made, then quoted. Stream ids, type names and
every value are bound as parameters; hostile ones are stored and read back as plain data.
The broken twin builds the same statement by pasting the name in, unchecked, and the same
hostile input then runs as SQL.
"""

from __future__ import annotations

import os

import pytest

from tactica import uuid7
from tactica.errors import ConfigurationError
from tactica.stores.postgres import PostgresConnection, PostgresEventStore, create_schema
from tactica.testing import new_event, require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)

HOSTILE_NAMESPACES = [
    'x"; DROP TABLE tactica_events; --',
    "tactica events",
    "public; SELECT pg_sleep(10)",
    "1starts_with_a_digit",
    "",
    "n" * 64,
    "naïve",
    "a-b",
    "bad\x00name",
    42,
]


@pytest.mark.parametrize("namespace", HOSTILE_NAMESPACES)
def test_a_hostile_namespace_is_refused_before_anything_runs(namespace: object) -> None:
    """Quotes, spaces, semicolons, digits first, empty, too long, non-ASCII: refused."""
    with pytest.raises(ConfigurationError, match="not a plain identifier"):
        PostgresEventStore("host=198.51.100.1 connect_timeout=1", namespace=namespace)  # type: ignore[arg-type]


def _drop(namespace: str) -> None:
    admin = PostgresConnection(POSTGRES)
    admin.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
    admin.close()


def test_namespaces_keep_their_events_apart_and_keep_their_case() -> None:
    """Each namespace has its own tables; a mixed-case name is quoted, not folded."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    suffix = uuid7().hex[-12:]
    names = [f"Tenant_A_{suffix}", f"tenant_b_{suffix}"]
    try:
        for name in names:
            connection = PostgresConnection(POSTGRES, namespace=name)
            create_schema(connection)
            create_schema(connection)  # idempotent
            connection.close()
        first = PostgresEventStore(POSTGRES, namespace=names[0])
        second = PostgresEventStore(POSTGRES, namespace=names[1])
        first.append("a'; DROP TABLE tactica_events; --", [new_event()])
        assert [e.stream_id for e in first.read_all()] == ["a'; DROP TABLE tactica_events; --"]
        assert second.read_all() == []
        first.close()
        second.close()
        admin = PostgresConnection(POSTGRES)
        found = admin.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = ? OR nspname = ?",
            (names[0], names[0].lower()),
        )
        admin.close()
        assert [row[0] for row in found] == [names[0]]
    finally:
        for name in names:
            _drop(name)


class PastingConnection(PostgresConnection):
    """The broken twin: puts the namespace into SET search_path as it is."""

    def __init__(self, conninfo: str, namespace: str) -> None:
        super().__init__(conninfo)
        self._raw.execute(f"SET search_path TO {namespace}")  # type: ignore[arg-type]


def test_the_broken_twin_runs_a_hostile_namespace_as_sql() -> None:
    """Pasted in unchecked, a 'namespace' ends the statement and runs one of its own."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    marker = f"g14_twin_{uuid7().hex[-12:]}"
    try:
        PastingConnection(POSTGRES, f"public; CREATE SCHEMA {marker}").close()
        admin = PostgresConnection(POSTGRES)
        ran = admin.fetch("SELECT 1 FROM pg_namespace WHERE nspname = ?", (marker,))
        admin.close()
        assert ran == [(1,)], "the injected statement ran"
    finally:
        _drop(marker)
