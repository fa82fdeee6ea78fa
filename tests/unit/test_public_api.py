"""The public face: pinned, sorted `__all__`s, documented names, a lean `import tactica`."""

from __future__ import annotations
import __future__

import importlib
import inspect
import subprocess
import sys
import textwrap
import types
import typing

import pytest

import tactica

PUBLIC_MODULES = [
    "tactica",
    "tactica.codec",
    "tactica.dataclasses",
    "tactica.errors",
    "tactica.eventsourcing",
    "tactica.messaging",
    "tactica.ports",
    "tactica.projections",
    "tactica.pydantic",
    "tactica.stores.memory",
    "tactica.stores.postgres",
    "tactica.stores.sql",
    "tactica.stores.sqlalchemy",
    "tactica.stores.sqlite",
    "tactica.testing",
    "tactica.testing.pydantic",
    "tactica.uow",
]

FUTURE_FEATURES = {name for name in dir(__future__) if not name.startswith("_")}


def _public_names(module: types.ModuleType) -> set[str]:
    # dir(), not vars(): the top-level package loads its names on first use.
    return {
        name
        for name, value in ((name, getattr(module, name)) for name in dir(module))
        if not name.startswith("_")
        and name.isidentifier()  # pydantic files parametrised generics under "Base[Arg]"
        and not isinstance(value, types.ModuleType)
        and not (name in FUTURE_FEATURES and isinstance(value, __future__._Feature))
    }


def _isort_style(name: str) -> tuple[int, str]:
    """Ruff's order for ``__all__`` (RUF022): CONSTANTS, then Classes, then the rest."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_is_sorted_and_lists_exactly_the_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = module.__all__
    assert exported == sorted(exported, key=_isort_style), f"{module_name}.__all__ must stay sorted"
    assert len(set(exported)) == len(exported)
    assert set(exported) == _public_names(module)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_and_its_public_methods_have_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert inspect.getdoc(module), f"{module_name} needs a module docstring"
    missing: list[str] = []
    for name in module.__all__:
        value = getattr(module, name)
        if typing.get_origin(value) is not None:
            continue  # a type alias; its comment in the source is its documentation
        if not (callable(value) or isinstance(value, type)):
            continue
        if not inspect.getdoc(value):
            missing.append(name)
        if isinstance(value, type):
            for attribute, member in vars(value).items():
                if attribute.startswith("_") or not inspect.isfunction(member):
                    continue
                if not inspect.getdoc(member):
                    missing.append(f"{name}.{attribute}")
    assert missing == []


def test_the_top_level_api_is_pinned() -> None:
    assert tactica.__all__ == [
        "AggregateAlreadyExistsError",
        "AggregateNotFoundError",
        "AsyncInMemoryRepository",
        "AsyncMessageBus",
        "AsyncRepository",
        "ConcurrencyError",
        "ConfigurationError",
        "Decider",
        "DuplicateHandlerError",
        "DuplicateMessageTypeError",
        "FrozenDict",
        "HandlerColourError",
        "HandlerNotFoundError",
        "Handlers",
        "ImmutableObjectError",
        "InMemoryDatabase",
        "InMemoryRepository",
        "InvalidMessageError",
        "JsonCodec",
        "MessageBus",
        "MessageContext",
        "MessageDecodeError",
        "MessageEncodeError",
        "MissingExtraError",
        "MissingIdentityError",
        "Predicate",
        "Repository",
        "SerializationError",
        "Specification",
        "TacticaError",
        "TypeRegistry",
        "UnknownMessageTypeError",
        "UnreadableEventError",
        "UpcastError",
        "Upcasters",
        "current_message_context",
        "decide_and_evolve",
        "fold",
        "message_context",
        "uuid7",
    ]


def test_both_flavours_export_the_same_names() -> None:
    dataclass_flavour = importlib.import_module("tactica.dataclasses")
    pydantic_flavour = importlib.import_module("tactica.pydantic")
    assert dataclass_flavour.__all__ == pydantic_flavour.__all__


def test_the_outbox_re_exports_the_ports_outbox_message() -> None:
    """The store protocols take it, so it lives in ports; the old import path still works."""
    outbox = importlib.import_module("tactica.outbox")
    ports = importlib.import_module("tactica.ports")
    assert outbox.OutboxMessage is ports.OutboxMessage


def test_every_error_derives_from_tactica_error() -> None:
    errors = importlib.import_module("tactica.errors")
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), tactica.TacticaError), name


OPTIONAL_PACKAGES = [
    "pydantic",
    "psycopg",
    "psycopg_pool",
    "sqlalchemy",
    "pytest",
    "prometheus_client",
    "opentelemetry",
    "typer",
    "rich",
    "aio_pika",
    "nats",
    "redis",
    "hypothesis",
]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_import_tactica_and_the_dataclass_flavour_load_no_optional_package() -> None:
    result = _run(
        f"""
        import sys
        import tactica, tactica.dataclasses, tactica.codec, tactica.stores.memory
        import tactica.stores.sqlite, tactica.uow
        from tactica.dataclasses import DomainEvent
        class Happened(DomainEvent):
            what: str
        tactica.JsonCodec().decode(tactica.JsonCodec().encode(Happened(what="x")), Happened)
        optional = {OPTIONAL_PACKAGES!r}
        print(sorted(name for name in optional if name in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_import_probe_itself_can_see_a_loaded_optional_package() -> None:
    """The isolation test above is only meaningful if this detection works."""
    result = _run("import sys, tactica.pydantic; print('pydantic' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("tactica.pydantic", "pydantic"),
        ("tactica.testing", "pytest"),
        ("tactica.stores.postgres", "psycopg"),
        ("tactica.stores.sqlalchemy", "sqlalchemy"),
    ],
)
def test_a_missing_extra_names_the_pip_command_that_installs_it(module: str, extra: str) -> None:
    result = _run(
        f"""
        import sys
        sys.modules[{extra!r}] = None  # what Python does for a package that is not installed
        from tactica.errors import MissingExtraError
        try:
            import {module}
        except MissingExtraError as error:
            assert isinstance(error, ImportError)
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install" in result.stdout
    assert "tactica[" in result.stdout
