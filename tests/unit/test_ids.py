"""uuid7(): RFC 9562 layout, strict monotonic order, thread and fork safety."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from itertools import pairwise
from types import SimpleNamespace

import pytest

from tactica import uuid7
from tactica.domain import ids


def test_uuid7_has_version_7_and_the_rfc_variant() -> None:
    value = uuid7()
    assert isinstance(value, uuid.UUID)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_is_an_ordinary_uuid_that_round_trips_through_text_and_bytes() -> None:
    value = uuid7()
    assert uuid.UUID(str(value)) == value
    assert uuid.UUID(bytes=value.bytes) == value
    assert hash(uuid.UUID(str(value))) == hash(value)
    assert value.is_safe is uuid.SafeUUID.unknown


def test_uuid7_starts_with_the_current_unix_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after + 1


def test_uuid7_strictly_increases_within_one_millisecond_burst() -> None:
    values = [uuid7() for _ in range(50_000)]
    assert all(a < b for a, b in pairwise(values))
    same_ms = sum(1 for a, b in pairwise(values) if a.int >> 80 == b.int >> 80)
    assert same_ms > 0, "the burst never shared a millisecond, so the counter went untested"


def test_uuid7_has_random_bits_that_differ_between_ids() -> None:
    tails = {uuid7().int & 0xFFFF_FFFF for _ in range(1000)}
    assert len(tails) > 990


def test_uuid7_from_many_threads_are_unique_and_each_thread_sees_increasing_ids() -> None:
    per_thread: list[list[uuid.UUID]] = [[] for _ in range(8)]
    start = threading.Barrier(8)

    def work(out: list[uuid.UUID]) -> None:
        start.wait()
        out.extend(uuid7() for _ in range(5000))

    threads = [threading.Thread(target=work, args=(out,)) for out in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [value for out in per_thread for value in out]
    assert len(set(everything)) == len(everything) == 40_000
    for out in per_thread:
        assert out == sorted(out)


def test_uuid7_keeps_order_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first = uuid7()
    earlier_ns = ((first.int >> 80) - 5_000) * 1_000_000
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: earlier_ns))
    later = [uuid7() for _ in range(100)]
    assert first < later[0]
    assert later == sorted(later)


def test_uuid7_moves_to_the_next_millisecond_when_the_counter_overflows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen_ns = time.time_ns() + 10_000_000_000
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: frozen_ns))
    before = uuid7()
    monkeypatch.setattr(ids, "_counter", ids._COUNTER_MAX)
    after = uuid7()
    assert after > before
    assert after.int >> 80 == (before.int >> 80) + 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")
def test_a_forked_child_does_not_repeat_the_parents_ids() -> None:
    script = """
import os, sys
from tactica import uuid7
uuid7()  # fill the parent's pool of random bytes before forking
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, b"".join(uuid7().bytes for _ in range(50)))
    os._exit(0)
os.waitpid(pid, 0)
child = os.read(read, 16 * 50)
parent = b"".join(uuid7().bytes for _ in range(50))
chunks = lambda data: {data[i : i + 16][-4:] for i in range(0, len(data), 16)}
sys.stdout.write(str(len(chunks(child) & chunks(parent))))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout == "0", "parent and child drew the same random tails"
