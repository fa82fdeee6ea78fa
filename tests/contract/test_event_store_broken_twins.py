"""The event-store contract's safety tests have teeth: each fails against a broken twin.

Each twin is the in-memory event store (or its log) with one guard removed; the contract
tests that guard it must fail against the twin and pass against the real store. A test
fails by an assertion, or by a tactica error where the contract expects success (a retry
refused as a conflict); that the twins break nothing else is checked too, so none of them
fails for an unrelated reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from msgspec.structs import replace

from tactica.errors import TacticaError
from tactica.outbox import OutboxMessage
from tactica.ports import ANY, AppendResult, Expected, NewEvent, StreamAppend
from tactica.ports._events import checked_appends, checked_checkpoint
from tactica.stores.memory import InMemoryEventLog, InMemoryEventStore
from tactica.testing import EventStoreContract

Checked = Sequence[tuple[str, tuple[NewEvent, ...], Expected]]


class LogWithoutVersionChecks(InMemoryEventLog):
    """Appends whatever the stream holds: every expected version is taken as ``ANY``."""

    def commit(
        self,
        appends: Checked,
        outbox: Sequence[OutboxMessage],
        checkpoint: tuple[str, int] | None,
    ) -> list[AppendResult]:
        blind = [(stream_id, events, ANY) for stream_id, events, _ in appends]
        return super().commit(blind, outbox, checkpoint)


class LogApplyingPartByPart(InMemoryEventLog):
    """Checks and applies a multi-stream commit one stream at a time: a late conflict
    leaves the earlier streams appended."""

    def commit(
        self,
        appends: Checked,
        outbox: Sequence[OutboxMessage],
        checkpoint: tuple[str, int] | None,
    ) -> list[AppendResult]:
        results = [
            super(LogApplyingPartByPart, self).commit([part], (), None)[0] for part in appends
        ]
        super().commit([], outbox, checkpoint)
        return results


class LogForgettingEventIds(InMemoryEventLog):
    """Keeps no index of the event ids it stored: a retry of the same events is a new
    append, stored a second time where its expectation allows it (``ANY``, another stream)
    and refused as a conflict where it does not, and a reused id is never noticed."""

    def commit(
        self,
        appends: Checked,
        outbox: Sequence[OutboxMessage],
        checkpoint: tuple[str, int] | None,
    ) -> list[AppendResult]:
        with self._lock:
            self._by_id.clear()
        return super().commit(appends, outbox, checkpoint)


class StoreTrustingPayloads(InMemoryEventStore):
    """Checks everything of an append but its payloads: pickle, YAML, arrays and
    oversized documents are stored as they come."""

    def commit(
        self,
        appends: Sequence[StreamAppend],
        *,
        outbox: Sequence[OutboxMessage] = (),
        checkpoint: tuple[str, int] | None = None,
    ) -> list[AppendResult]:
        stand_ins = [
            StreamAppend(
                part.stream_id,
                [
                    replace(event, payload=b"{}") if isinstance(event, NewEvent) else event
                    for event in part.events
                ],
                part.expected_version,
            )
            for part in appends
        ]
        checked = [
            (
                stream_id,
                tuple(
                    replace(event, payload=original.payload)
                    for event, original in zip(events, part.events, strict=True)
                ),
                expected,
            )
            for (stream_id, events, expected), part in zip(
                checked_appends(stand_ins, max_bytes=self.max_event_bytes), appends, strict=True
            )
        ]
        messages = self.checked_outbox(outbox)
        return self.log.commit(checked, messages, checked_checkpoint(checkpoint))


class Contract(EventStoreContract):
    __test__ = False

    def __init__(
        self,
        log: type[InMemoryEventLog] = InMemoryEventLog,
        store: type[InMemoryEventStore] = InMemoryEventStore,
    ) -> None:
        self.log_type = log
        self.store_type = store

    def new_store(self) -> Any:
        self.log = self.log_type()
        return self.another_store()

    def another_store(self) -> Any:
        return self.store_type(self.log)


def _malformed(fields: dict[str, Any], complaint: str) -> tuple[str, dict[str, Any]]:
    test = "test_a_malformed_event_is_refused_before_anything_is_written"
    return test, {"fields": fields, "complaint": complaint}


def _plain(test: str) -> tuple[str, dict[str, Any]]:
    return test, {}


TWINS: dict[str, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]] = {
    "expected version not checked": (
        {"log": LogWithoutVersionChecks},
        [
            _plain("test_an_exact_expected_version_must_match_and_a_miss_writes_nothing"),
            _plain("test_no_stream_stream_exists_and_any_check_what_they_say"),
            _plain("test_a_multi_stream_commit_is_all_or_nothing"),
            _plain("test_concurrent_appends_at_one_version_have_exactly_one_winner"),
            _plain("test_the_largest_64_bit_arguments_are_accepted"),
        ],
    ),
    "multi-stream commit applied part by part": (
        {"log": LogApplyingPartByPart},
        [_plain("test_a_multi_stream_commit_is_all_or_nothing")],
    ),
    "idempotent retry stores a second copy": (
        {"log": LogForgettingEventIds},
        [
            _plain("test_appending_the_same_events_again_is_reported_and_stores_one_copy"),
            _plain("test_an_event_id_reused_for_other_content_or_partly_is_a_duplicate"),
            _plain("test_retrying_a_whole_commit_stores_its_events_and_outbox_rows_once"),
        ],
    ),
    "malformed payload not checked": (
        {"store": StoreTrustingPayloads},
        [
            _malformed({"payload": b"\x80\x04\x95pickled"}, "not a JSON document"),
            _malformed({"payload": b"!!python/object:os.system"}, "not a JSON document"),
            _malformed({"payload": b"[1, 2]"}, "JSON object"),
            _malformed({"payload": "{}"}, "JSON bytes"),
            _plain("test_an_oversized_or_empty_append_is_refused"),
        ],
    ),
}

CASES = [(twin, test, arguments) for twin, (_, tests) in TWINS.items() for test, arguments in tests]
IDS = [
    f"{twin}: {test}" + (f"[{arguments['fields']!r}]" if arguments else "")
    for twin, test, arguments in CASES
]


@pytest.mark.parametrize(("twin", "test", "arguments"), CASES, ids=IDS)
def test_the_safety_test_fails_against_the_broken_twin(
    twin: str, test: str, arguments: dict[str, Any]
) -> None:
    """Each guarantee's test catches the event store that breaks that guarantee."""
    parts, _ = TWINS[twin]
    suite = Contract(**parts)
    with pytest.raises((AssertionError, pytest.fail.Exception, TacticaError)):
        getattr(suite, test)(**arguments)


@pytest.mark.parametrize(("twin", "test", "arguments"), CASES, ids=IDS)
def test_the_same_test_passes_against_the_real_store(
    twin: str, test: str, arguments: dict[str, Any]
) -> None:
    """The twin differs only in the broken guard: the real store passes the same test."""
    del twin
    getattr(Contract(), test)(**arguments)


def test_every_twin_keeps_the_other_guarantees() -> None:
    """A twin breaks one guard only: the contract tests it is not listed for still pass.

    Otherwise a twin could fail its listed tests for some unrelated reason.
    """
    listed = {(twin, test) for twin, test, _ in CASES}
    contract_tests = [
        name
        for name in dir(EventStoreContract)
        if name.startswith("test_") and not hasattr(getattr(EventStoreContract, name), "pytestmark")
    ]
    for twin, (parts, _) in TWINS.items():
        for test in contract_tests:
            if (twin, test) not in listed:
                getattr(Contract(**parts), test)()
