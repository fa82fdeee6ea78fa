"""Conformance contracts and helpers for testing backends and applications (extra: ``testing``).

Each contract is a pytest test class with factory hooks. Subclass it in your test suite and
implement the hooks for your backend; the in-memory backend passes every contract, so it is
a fake you can trust in your own tests.
"""

import importlib

try:  # probe the extra before anything else, so the error names it
    importlib.import_module("pytest")
except ImportError as error:  # pragma: no cover - exercised by the extras test in a subprocess
    from tactica.errors import MissingExtraError

    raise MissingExtraError("tactica.testing", "testing") from error

from tactica.testing._repository_async import AsyncRepositoryContract
from tactica.testing._repository_sync import RepositoryContract
from tactica.testing._sample import Account, AccountId, Card, Deposited

__all__ = [
    "Account",
    "AccountId",
    "AsyncRepositoryContract",
    "Card",
    "Deposited",
    "RepositoryContract",
]
