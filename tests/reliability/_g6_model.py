"""The G6 harness: a counting projection, its crash hooks, an independent fold, the stores.

Imported by the tests and by `_g6_projector`, the child process the crash tests kill. The
projection keeps per account the total, the count and the positions it applied, so a
comparison with a fold over `read_all` counts double-applied and missing events exactly.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from tactica import JsonCodec, TypeRegistry
from tactica.dataclasses import DomainEvent
from tactica.errors import CheckpointConflictError
from tactica.eventsourcing import to_new_event
from tactica.projections import Projection, handles
from tactica.stores._sql._projections_sync import SQLProjectionTransaction
from tactica.stores.postgres import PostgresConnection, PostgresEventStore, create_schema
from tactica.stores.sqlite import SQLiteEventStore

NAME = "g6-accounts"
COLLECTION = "accounts"
KILLED = 137  # what a shell reports for SIGKILL; os._exit(137) mimics it
CRASH_ENV = "TACTICA_G6_CRASH"  # "<before|after_handler|after_commit>:<position>"
CRASH_MODES = ("before", "after_handler", "after_commit")
SPLIT_ENV = "TACTICA_G6_SPLIT"  # "1": the broken twin that commits the checkpoint apart


class Deposited(DomainEvent, name="tests.reliability.g6.deposited"):
    """Money paid into an account: the projection adds it up per account."""

    account: str
    amount: int


def new_codec() -> JsonCodec:
    """Return a codec that knows `Deposited`."""
    return JsonCodec(TypeRegistry([Deposited]))


def _crash_point() -> tuple[str, int] | None:
    raw = os.environ.get(CRASH_ENV)
    if not raw:
        return None
    mode, position = raw.split(":")
    return mode, int(position)


class Accounts(Projection):
    """Per account: total, count and applied positions; dies where `CRASH_ENV` says."""

    name = NAME

    def __init__(self, applied: list[int] | None = None) -> None:
        self.crash = _crash_point()
        self.applied = applied

    @handles(Deposited)
    def deposited(self, event: Deposited, tx: Any) -> None:
        position = tx.recorded.position
        if self.crash == ("before", position):
            os._exit(KILLED)
        document = tx.get(COLLECTION, event.account) or {"total": 0, "count": 0, "positions": []}
        tx.put(
            COLLECTION,
            event.account,
            {
                "total": document["total"] + event.amount,
                "count": document["count"] + 1,
                "positions": [*document["positions"], position],
            },
        )
        if self.crash == ("after_handler", position):
            os._exit(KILLED)
        if self.crash == ("after_commit", position):
            tx.on_commit(lambda: os._exit(KILLED))
        if self.applied is not None:
            applied = self.applied
            tx.on_commit(lambda: applied.append(position))


def feed(store: Any, events: int, rng: random.Random, accounts: int = 25) -> None:
    """Append `events` deposits to random accounts, 1 to 10 events per append."""
    codec = new_codec()
    left = events
    while left:
        account = f"acct-{rng.randrange(accounts):02d}"
        size = min(left, rng.randint(1, 10))
        deposits = [Deposited(account=account, amount=rng.randint(1, 1_000)) for _ in range(size)]
        store.append(account, [to_new_event(codec, deposit) for deposit in deposits])
        left -= size


def read_order(store: Any) -> list[Any]:
    """Return every stored event in the store's global read order."""
    events: list[Any] = []
    while True:
        page = store.read_all(after=events[-1].position if events else 0, limit=1_000)
        if not page:
            return events
        events.extend(page)


def fold(store: Any) -> dict[str, dict[str, Any]]:
    """Return what the projection should hold, folded straight from `read_all`."""
    expected: dict[str, dict[str, Any]] = {}
    for record in read_order(store):
        # Plain JSON, not the codec: the fold must not share the runner's decoding.
        event = msgspec.json.decode(record.payload)
        document = expected.setdefault(event["account"], {"total": 0, "count": 0, "positions": []})
        document["total"] += event["amount"]
        document["count"] += 1
        document["positions"].append(record.position)
    return expected


@dataclass(frozen=True)
class Comparison:
    """How the projection's documents differ from the fold."""

    double_applied: int
    missing: int
    wrong_totals: int

    @property
    def exact(self) -> bool:
        """Whether the projection equals the fold."""
        return self.double_applied == self.missing == self.wrong_totals == 0


def compare(expected: dict[str, dict[str, Any]], found: dict[str, Any]) -> Comparison:
    """Count positions applied twice or more, positions never applied, and wrong totals."""
    want = Counter(p for document in expected.values() for p in document["positions"])
    seen = Counter(p for document in found.values() for p in document["positions"])
    double = sum(count - 1 for count in seen.values() if count > 1)
    missing = sum(1 for position in want if position not in seen)
    wrong = sum(
        1
        for account in expected.keys() | found.keys()
        if {k: v for k, v in (found.get(account) or {}).items() if k != "positions"}
        != {k: v for k, v in (expected.get(account) or {}).items() if k != "positions"}
    )
    return Comparison(double, missing, wrong)


# Stores ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where the events live: a SQLite file, or a PostgreSQL namespace."""

    backend: str  # "sqlite" or "postgres"
    where: str  # the file path, or the conninfo
    namespace: str | None = None

    def to_args(self) -> list[str]:
        """Return the command-line form `from_args` reads."""
        return [self.backend, self.where, self.namespace or ""]

    @classmethod
    def from_args(cls, args: list[str]) -> Target:
        """Read a target written by `to_args`."""
        backend, where, namespace = args
        return cls(backend, where, namespace or None)

    def open(self, kind: type[Any] | None = None) -> Any:
        """Return a new store (own connection) on this target, of `kind` if given."""
        if self.backend == "sqlite":
            return (kind or SQLiteEventStore)(Path(self.where))
        return (kind or PostgresEventStore)(self.where, namespace=self.namespace)

    def create(self) -> None:
        """Create tactica's tables in a PostgreSQL namespace (the SQLite fixture has them)."""
        if self.backend == "postgres":
            connection = PostgresConnection(self.where, namespace=self.namespace)
            create_schema(connection)
            connection.close()

    def drop(self) -> None:
        """Drop the PostgreSQL namespace and everything in it."""
        if self.backend == "postgres" and self.namespace:
            connection = PostgresConnection(self.where)
            connection.execute(f'DROP SCHEMA IF EXISTS "{self.namespace}" CASCADE')
            connection.close()


class AlwaysGranted:
    """A lease that every runner holds at once: only the checkpoint's CAS keeps them apart."""

    def acquire(self) -> bool:
        """Say yes."""
        return True

    def release(self) -> None:
        """Hold nothing, so give nothing back."""


class LeaseBypass:
    """Mixin: every runner gets the lease; checkpoint conflicts are counted on the way out."""

    conflicts: int = 0

    def lease(self, projection: str, *, ttl: float) -> AlwaysGranted:
        """Return a lease that is always granted."""
        del projection, ttl
        return AlwaysGranted()

    @contextmanager
    def projecting(self, projection: str, **options: Any) -> Iterator[Any]:
        """Open the real batch transaction, counting the conflicts it raises."""
        try:
            with super().projecting(projection, **options) as tx:
                yield tx
        except CheckpointConflictError:
            self.conflicts += 1
            raise


class UnconditionalCheckpoint(LeaseBypass):
    """Broken twin mixin: the checkpoint is set to the batch's end whatever it was."""

    @contextmanager
    def projecting(
        self,
        projection: str,
        *,
        generation: int,
        checkpoint: str,
        after: int,
        to: int,
        replaying: bool = False,
    ) -> Iterator[Any]:
        """Open a batch transaction that overwrites the checkpoint with no compare."""
        del after
        lend: Callable[[], Any] = self._connections
        with lend() as connection:
            connection.begin()
            try:
                connection.execute(
                    "INSERT INTO tactica_checkpoints (name, position) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                    (checkpoint, to),
                )
                tx = SQLProjectionTransaction(
                    connection, projection, generation, replaying=replaying
                )
                yield tx
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        for callback in tx.callbacks:
            callback()


class SplitCommit:
    """Broken twin mixin: documents commit first, the checkpoint in a second transaction.

    A death between the two (`CRASH_ENV` ``between:<position>``) leaves the documents
    applied and the checkpoint behind, so the restart applies the batch again.
    """

    @contextmanager
    def projecting(
        self,
        projection: str,
        *,
        generation: int,
        checkpoint: str,
        after: int,
        to: int,
        replaying: bool = False,
    ) -> Iterator[Any]:
        """Commit the handlers' documents, then (maybe die, then) move the checkpoint."""
        lend: Callable[[], Any] = self._connections
        with lend() as connection:
            connection.begin()
            try:
                tx = SQLProjectionTransaction(
                    connection, projection, generation, replaying=replaying
                )
                yield tx
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            crash = _crash_point()
            if crash is not None and crash[0] == "between" and after < crash[1] <= to:
                os._exit(KILLED)
            connection.begin()
            connection.execute(
                "INSERT INTO tactica_checkpoints (name, position) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (checkpoint, to),
            )
            connection.commit()


def store_kind(target: Target, *mixins: type) -> type[Any]:
    """Return the target's store class with `mixins` in front."""
    base = SQLiteEventStore if target.backend == "sqlite" else PostgresEventStore
    return type(f"{''.join(m.__name__ for m in mixins)}{base.__name__}", (*mixins, base), {})
