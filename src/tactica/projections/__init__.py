"""Projections: read models kept up to date from the event store, never skipping an event.

Declare a projection as a `Projection` class with `handles` methods, or with `projection`
and functions. A runner (`ProjectionRunner`, `AsyncProjectionRunner`) catches it up from
its checkpoint and then follows new events; the checkpoint moves in the transaction of
the read-model changes, so every event has exactly one effect. `wait_for` gives
read-your-writes; `rebuild` replays into fresh read models and swaps them in.
"""

from tactica.ports._projection_records import DeadLetter, ProjectionStatus
from tactica.ports._projections_async import (
    AsyncLease,
    AsyncListener,
    AsyncProjectionStore,
    AsyncProjectionTransaction,
)
from tactica.ports._projections_sync import (
    Lease,
    Listener,
    ProjectionStore,
    ProjectionTransaction,
)
from tactica.projections._projection import (
    FunctionProjection,
    Projection,
    ProjectionLike,
    handles,
    projection,
)
from tactica.projections._runner_async import AsyncProjectionRunner, PoisonPolicy, async_wait_for
from tactica.projections._runner_sync import ProjectionRunner, wait_for

__all__ = [
    "AsyncLease",
    "AsyncListener",
    "AsyncProjectionRunner",
    "AsyncProjectionStore",
    "AsyncProjectionTransaction",
    "DeadLetter",
    "FunctionProjection",
    "Lease",
    "Listener",
    "PoisonPolicy",
    "Projection",
    "ProjectionLike",
    "ProjectionRunner",
    "ProjectionStatus",
    "ProjectionStore",
    "ProjectionTransaction",
    "async_wait_for",
    "handles",
    "projection",
    "wait_for",
]
