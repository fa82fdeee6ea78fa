"""G1 on a real SQLite file: exactly one winner per expected version, and no lost update.

Threads share one database file, each with its own connection and repository, as separate
processes' sessions would. The broken twin (an UPDATE without the version check) must fail
the same counts.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tactica import ConcurrencyError
from tactica.stores._session import PendingWrite, WriteKind
from tactica.stores.sqlite import SQLiteConnection, SQLiteRepository, create_schema
from tactica.testing import Account, AccountId


class RepositoryWithoutVersionCheck(SQLiteRepository[Any, Any]):
    """Writes updates unconditionally: the classic lost-update bug."""

    def _write_one(self, write: PendingWrite[Any]) -> None:
        if write.kind is not WriteKind.UPDATE:
            super()._write_one(write)
            return
        self.connection.execute(
            "UPDATE tactica_aggregates SET version = ?, state = ? "
            "WHERE aggregate_type = ? AND aggregate_id = ?",
            (
                write.expected_version + 1,
                self.codec.encode(write.aggregate),
                self.type_name,
                str(write.aggregate_id),
            ),
        )


def _store(path: Path) -> AccountId:
    connection = SQLiteConnection(path)
    create_schema(connection)
    repository = SQLiteRepository[Account, AccountId](Account, connection)
    account = Account(owner="Ada")
    repository.add(account)
    repository.commit()
    connection.close()
    return account.id


def _rounds(path: Path, workers: int, rounds: int, repository_type: Any) -> Counter[str]:
    """Run `rounds` rounds of `workers` sessions committing from one version; count outcomes."""
    account_id = _store(path)
    connections = [SQLiteConnection(path) for _ in range(workers)]
    tally: Counter[str] = Counter()
    barrier = threading.Barrier(workers)
    lock = threading.Lock()

    def worker(connection: SQLiteConnection) -> None:
        for _ in range(rounds):
            repository = repository_type(Account, connection)
            repository.get(account_id).deposit(1)
            barrier.wait()
            try:
                repository.commit()
                outcome = "won"
            except ConcurrencyError:
                outcome = "conflict"
            except Exception as error:  # noqa: BLE001 - counted as the failure G1 forbids
                outcome = f"other: {error!r}"
            with lock:
                tally[outcome] += 1
            barrier.wait()  # the round is over for everyone before the next load

    threads = [threading.Thread(target=worker, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = SQLiteRepository[Account, AccountId](Account, connections[0]).get(account_id)
    tally["final balance"] = final.balance
    tally["final version"] = final.version
    for connection in connections:
        connection.close()
    return tally


@pytest.mark.parametrize("workers", [2, 4, 8])
def test_every_round_has_exactly_one_winner_and_versions_stay_contiguous(
    tmp_path: Path, workers: int
) -> None:
    rounds = 200
    tally = _rounds(tmp_path / "g1.db", workers, rounds, SQLiteRepository)
    assert tally["won"] == rounds
    assert tally["conflict"] == rounds * (workers - 1)
    assert [key for key in tally if key.startswith("other")] == []
    assert tally["final balance"] == rounds, "one deposit stored per round"
    assert tally["final version"] == rounds + 1, "versions 1..rounds+1, no gap"


def test_the_broken_twin_without_the_version_check_fails_the_same_counts(tmp_path: Path) -> None:
    tally = _rounds(tmp_path / "g1-broken.db", 4, 20, RepositoryWithoutVersionCheck)
    assert tally["won"] > 20, "several sessions 'won' the same round"
    assert tally["final balance"] < tally["won"], "deposits were lost"


def _increments(path: Path, workers: int, per_worker: int) -> tuple[int, int, int]:
    account_id = _store(path)
    retries = Counter[str]()
    lock = threading.Lock()

    def worker() -> None:
        connection = SQLiteConnection(path)
        for _ in range(per_worker):
            while True:
                repository = SQLiteRepository[Account, AccountId](Account, connection)
                repository.get(account_id).deposit(1)
                try:
                    repository.commit()
                    break
                except ConcurrencyError:
                    with lock:
                        retries["conflict"] += 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection = SQLiteConnection(path)
    final = SQLiteRepository[Account, AccountId](Account, connection).get(account_id)
    connection.close()
    return final.balance, final.version, retries["conflict"]


def test_increments_with_retry_on_conflict_lose_no_update(tmp_path: Path) -> None:
    workers, per_worker = 8, 200
    balance, version, conflicts = _increments(tmp_path / "g1-increments.db", workers, per_worker)
    assert balance == workers * per_worker
    assert version == workers * per_worker + 1
    print(f"G1 increments: {workers}x{per_worker}, {conflicts} conflicts retried")
