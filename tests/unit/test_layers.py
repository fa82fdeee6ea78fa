"""Dependencies point inward: no module of tactica imports a layer outside its own.

The layers, innermost first, are in `LAYERS` (and in docs/architecture.md). Every import
statement of every module under ``src/tactica`` is read from its syntax tree, including
those under ``TYPE_CHECKING`` and inside functions, so a lazy import is no way around it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src"

LAYERS: dict[str, int] = {
    # the base every layer may use
    "errors": 0,
    "_acompat": 0,
    "_extras": 0,
    "_moved": 0,
    "domain": 0,
    "codec": 1,
    # the two flavours of the model, over domain and codec
    "dataclasses": 2,
    "pydantic": 2,
    "ports": 3,
    # application packages
    "messaging": 4,
    "uow": 4,
    "eventsourcing": 4,
    "projections": 4,
    "outbox": 4,
    "stores": 5,
    "integrations": 6,
    "cli": 6,
    # the public face and the conformance kit may use everything
    "__init__": 7,
    "testing": 7,
}
STORES = LAYERS["stores"]
SHARED_STORE_PACKAGES = {"sql"}
DRIVERS = {"sqlite3", "psycopg", "psycopg_pool", "sqlalchemy", "aiosqlite", "asyncpg"}
PYDANTIC = {"pydantic", "pydantic_core"}


@dataclass(frozen=True)
class Import:
    """One import statement of a tactica module: where it is, and what it names."""

    module: str
    where: str
    target: str


def module_name(path: Path) -> str:
    """The dotted name of the module at `path` under ``src``."""
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[Import]:
    """Every import in the module at `path`, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                targets = [".".join([*base, node.module] if node.module else base)]
            else:
                targets = [node.module or ""]
        where = f"{path.relative_to(SOURCE)}:{getattr(node, 'lineno', 0)}"
        found.extend(Import(name, where, target) for target in targets)
    return found


def layer_of(module: str) -> str:
    """The layer of a tactica module: its top-level package (``__init__`` for tactica)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def backend_of(module: str) -> str | None:
    """The backend package a ``tactica.stores`` module belongs to, if it is one."""
    parts = module.split(".")
    if len(parts) < 3 or parts[1] != "stores":
        return None
    backend = parts[2]
    if backend.startswith("_") or backend in SHARED_STORE_PACKAGES:
        return None
    return backend


def problems(imports: list[Import]) -> list[str]:
    """The imports that break the layering, each as ``file:line -> target (why)``."""
    found: list[str] = []
    for item in imports:
        own = layer_of(item.module)
        rank = LAYERS[own]
        top = item.target.split(".")[0]
        if top in DRIVERS and rank < STORES:
            found.append(f"{item.where} -> {item.target} (a driver, below stores/)")
        if top in PYDANTIC and own != "pydantic" and rank < STORES:
            found.append(f"{item.where} -> {item.target} (pydantic outside its flavour)")
        if top != "tactica" or item.target == "tactica":
            continue
        theirs = layer_of(item.target)
        if theirs not in LAYERS:
            found.append(f"{item.where} -> {item.target} (a package the layer table lacks)")
        elif theirs == "testing" and own != "testing":
            found.append(f"{item.where} -> {item.target} (testing/ is imported by nothing)")
        elif LAYERS[theirs] > rank:
            found.append(f"{item.where} -> {item.target} ({theirs} is outside {own})")
        mine, other = backend_of(item.module), backend_of(item.target)
        if mine and other and mine != other:
            found.append(f"{item.where} -> {item.target} (another backend's package)")
    return found


def all_imports() -> list[Import]:
    """Every import of every tactica module."""
    return [
        item for path in sorted((SOURCE / "tactica").rglob("*.py")) for item in imports_of(path)
    ]


def test_every_package_has_a_layer() -> None:
    """A new top-level package must be placed in the table before it can import anything."""
    packages = {
        path.stem if path.is_file() else path.name
        for path in (SOURCE / "tactica").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert packages - set(LAYERS) == set()


def test_no_module_imports_a_layer_outside_its_own() -> None:
    """Each offending import is named with its file and line."""
    assert problems(all_imports()) == []


@pytest.mark.parametrize(
    ("module", "target", "why"),
    [
        ("tactica.domain.ids", "tactica.stores.sqlite", "stores is outside domain"),
        ("tactica.codec._formats", "tactica.pydantic._codec", "pydantic is outside codec"),
        ("tactica.ports._events", "tactica.outbox", "outbox is outside ports"),
        ("tactica.messaging._bus_async", "psycopg", "a driver, below stores/"),
        ("tactica.ports._streams", "pydantic", "pydantic outside its flavour"),
        ("tactica.uow._unit_async", "sqlite3", "a driver, below stores/"),
        ("tactica.stores.sqlalchemy._engines", "tactica.stores.sqlite", "another backend"),
        ("tactica.projections._projection", "tactica.testing", "testing/ is imported by"),
    ],
)
def test_a_planted_bad_import_is_caught_with_its_place(module: str, target: str, why: str) -> None:
    """The check is not vacuous: each kind of wrong import is reported."""
    found = problems([Import(module, "planted.py:7", target)])
    assert len(found) == 1
    assert found[0].startswith(f"planted.py:7 -> {target} (")
    assert why in found[0]


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("tactica.stores.sqlite._unit_async", "tactica.stores._sql._unit_async"),
        ("tactica.stores.postgres._unit_async", "tactica.uow._unit_async"),
        ("tactica.pydantic._codec", "pydantic"),
        ("tactica.stores.sqlite._connection", "sqlite3"),
        ("tactica.testing._sample", "tactica.stores.postgres"),
        ("tactica.messaging._bus_async", "tactica.eventsourcing"),
    ],
)
def test_imports_inward_or_sideways_are_allowed(module: str, target: str) -> None:
    """Backends use the shared SQL and the layers before them; peers of a layer may meet."""
    assert problems([Import(module, "fine.py:1", target)]) == []


# What each entry point may load: none of these needs a backend or a driver.
ENTRY_POINTS = {
    "tactica": 5,
    "tactica.codec": 25,
    "tactica.dataclasses": 30,
    "tactica.domain.decider": 10,
    "tactica.messaging": 60,
}


@pytest.mark.parametrize(("entry_point", "cap"), sorted(ENTRY_POINTS.items()))
def test_an_entry_point_loads_no_backend_and_few_modules(entry_point: str, cap: int) -> None:
    """Counted in a fresh interpreter; the count is printed so its growth is seen."""
    script = textwrap.dedent(
        f"""
        import sys
        import {entry_point}
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in {{
            "tactica", "sqlite3", "psycopg", "psycopg_pool", "sqlalchemy", "pydantic",
            "pydantic_core"}})
        print("\\n".join(loaded))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = result.stdout.split()
    ours = [name for name in loaded if name.split(".")[0] == "tactica"]
    print(f"import {entry_point}: {len(ours)} tactica modules")
    assert [name for name in loaded if name.split(".")[0] != "tactica"] == []
    assert [name for name in ours if name.startswith(("tactica.stores", "tactica.testing"))] == []
    assert len(ours) <= cap, f"import {entry_point} loads {len(ours)} tactica modules: {ours}"
