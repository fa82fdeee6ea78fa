"""Conformance contracts and helpers for testing backends and applications (extra: ``testing``).

Each contract is a pytest test class with factory hooks. Subclass it in your test suite and
implement the hooks for your backend; the in-memory backend passes every contract, so it is
a fake you can trust in your own tests.
"""

from tactica._extras import require_extra as _require_extra

_require_extra("pytest", feature="tactica.testing", extra="testing")

from tactica.testing._repository_async import AsyncRepositoryContract
from tactica.testing._repository_sync import RepositoryContract
from tactica.testing._sample import Account, AccountId, Card, Deposited
from tactica.testing._services import require_service

__all__ = [
    "Account",
    "AccountId",
    "AsyncRepositoryContract",
    "Card",
    "Deposited",
    "RepositoryContract",
    "require_service",
]
