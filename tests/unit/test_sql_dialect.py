"""What differs between SQLite and PostgreSQL is said once, by their `SQLDialect`s."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tactica import ConfigurationError
from tactica.stores._sql._dialect import POSTGRESQL, SQLITE, dialect_named

SOURCE = Path(__file__).resolve().parents[2] / "src" / "tactica"


def name_comparisons(path: Path, root: Path = SOURCE) -> list[str]:
    """Every ``x.dialect == "..."`` (or ``!=``, ``in``) of a module, as ``file:line``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names_dialect = any(
            (isinstance(side, ast.Attribute) and side.attr == "dialect")
            or (isinstance(side, ast.Name) and side.id == "dialect")
            for side in sides
        )
        names_a_database = any(
            isinstance(side, ast.Constant) and side.value in {"sqlite", "postgresql"}
            for side in sides
        )
        if names_dialect and names_a_database:
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_module_compares_a_dialect_name() -> None:
    """A database difference is a capability of the dialect object, asked for by name."""
    found = [hit for path in sorted(SOURCE.rglob("*.py")) for hit in name_comparisons(path)]
    assert found == []


def test_the_check_finds_a_planted_comparison(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text('def f(connection):\n    return connection.dialect == "postgresql"\n')
    assert name_comparisons(planted, root=tmp_path) == ["planted.py:2"]


def test_each_connection_name_finds_its_dialect() -> None:
    assert dialect_named("sqlite") is SQLITE
    assert dialect_named("postgresql") is POSTGRESQL


def test_the_dialects_differ_where_the_databases_do() -> None:
    assert SQLITE.one_writer_at_a_time
    assert not POSTGRESQL.one_writer_at_a_time
    assert POSTGRESQL.has_horizon
    assert not SQLITE.has_horizon
    # writers that may overlap need turns; one writer at a time never does
    for dialect in (SQLITE, POSTGRESQL):
        assert (dialect.turn is None) == dialect.one_writer_at_a_time


def test_an_unknown_database_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="not on a 'mysql' database"):
        dialect_named("mysql")
