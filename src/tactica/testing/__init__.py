"""Conformance contracts and helpers for testing backends and applications (extra: ``testing``).

Each contract is a pytest test class with factory hooks. Subclass it in your test suite and
implement the hooks for your backend; the in-memory backend passes every contract, so it is
a fake you can trust in your own tests.
"""

from tactica._extras import require_extra as _require_extra

_require_extra("pytest", feature="tactica.testing", extra="testing")

from tactica.testing._event_store_async import AsyncEventStoreContract, new_event
from tactica.testing._event_store_sync import EventStoreContract
from tactica.testing._projections_async import AsyncProjectionContract
from tactica.testing._projections_sync import ProjectionContract
from tactica.testing._repository_async import AsyncRepositoryContract
from tactica.testing._repository_sync import RepositoryContract
from tactica.testing._sample import (
    Account,
    AccountId,
    Card,
    Deposited,
    PriceChanged,
    Product,
    Restocked,
)
from tactica.testing._services import require_service
from tactica.testing._unit_of_work_async import AsyncUnitOfWorkContract
from tactica.testing._unit_of_work_sync import UnitOfWorkContract

__all__ = [
    "Account",
    "AccountId",
    "AsyncEventStoreContract",
    "AsyncProjectionContract",
    "AsyncRepositoryContract",
    "AsyncUnitOfWorkContract",
    "Card",
    "Deposited",
    "EventStoreContract",
    "PriceChanged",
    "Product",
    "ProjectionContract",
    "RepositoryContract",
    "Restocked",
    "UnitOfWorkContract",
    "new_event",
    "require_service",
]
