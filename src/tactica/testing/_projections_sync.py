# Generated from _projections_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The projection conformance contract (sync colour).

Subclass `ProjectionContract` in a test module and implement `new_store` (fresh,
empty storage per test) and `another_store` (a second store on the same storage, as a
second connection); pytest then runs every behaviour a store hosting projections must
have: read models and checkpoint committed together, compare-and-set checkpoints,
generations swapped for rebuilds, dead letters, leases and wake-ups, the runner's
catch-up, poison policies and exactly-once effect on top of them, and rebuilds swapped in
under live runners. Each theme lives in a module of its own; this class gathers them.
"""

from __future__ import annotations

from tactica.testing._projection_coordination_sync import ProjectionCoordinationContract
from tactica.testing._projection_runs_sync import ProjectionRunnerContract
from tactica.testing._projection_store_sync import ProjectionStoreContract
from tactica.testing._projection_swaps_sync import ProjectionSwapContract

__all__ = ["ProjectionContract"]


class ProjectionContract(
    ProjectionStoreContract,
    ProjectionCoordinationContract,
    ProjectionRunnerContract,
    ProjectionSwapContract,
):
    """Behaviours every store that hosts projections shares, as pytest tests.

    Hooks:
        `new_store` returns a store on fresh, empty storage; `another_store` a second
        store on the same storage (another connection or session). Set `leases_expire`
        to ``False`` for leases that are not timed (PostgreSQL's advisory locks, freed
        when the holder's connection dies instead), and `shared_wakeups` to ``True``
        where others' appends wake a listener too (PostgreSQL's one NOTIFY channel per
        database), so that a quiet wait cannot be counted on.
    """
