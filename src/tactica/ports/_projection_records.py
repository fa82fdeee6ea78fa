"""What projections store besides their read models, as plain records, and the checks on names.

PURE: every backend refuses the same bad projection names, collections and keys, before
anything is written, and encodes documents the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import msgspec

from tactica.errors import (
    CheckpointConflictError,
    InvalidAppendError,
    ProjectionError,
    StoredDataError,
)
from tactica.ports._checks import MAX_JSON_DEPTH, name_problem, nested_deeper_than
from tactica.ports._events import RecordedEvent

__all__ = [
    "DeadLetter",
    "ProjectionStatus",
    "TransactionBookkeeping",
    "checked_document_key",
    "checked_projection_name",
    "decode_document",
    "encode_document",
    "generation_checkpoint",
    "rebuild_behind",
    "stale_generation",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}")
_KEY_LENGTH = 255


class ProjectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    """How far a projection is behind the events, and whether something holds it back."""

    name: str
    """The projection's name."""
    checkpoint: int
    """The position of the last event it applied (0: none yet)."""
    head: int
    """The position of the last event readers may see now."""
    pending: int
    """How many committed events it has not applied yet, those held back from readers too."""
    seconds_behind: float
    """How long ago the oldest of those events was recorded (0.0 when there is none)."""
    stalled: bool
    """Whether committed events are held back from every reader, so it cannot catch up yet."""
    stall_reason: str | None = None
    """What holds them back, naming the holder where the database shows it.

    On PostgreSQL: the oldest open transaction of the whole cluster (any database), by
    backend pid, database, application, state and age, for the xid8 horizon; the holder
    of the events-table lock for the table-lock design. The guard against a forgotten
    transaction is the server setting ``idle_in_transaction_session_timeout``.
    """


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """An event a projection parked after its handler kept failing (poison policy ``park``)."""

    projection: str
    position: int
    stream_id: str
    event_id: UUID
    type_name: str
    attempts: int
    error: str
    parked_at: datetime


def checked_projection_name(name: object) -> str:
    """Return `name` if it can name a projection; raise `InvalidAppendError` otherwise."""
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        msg = (
            f"a projection name must be 1-100 letters, digits, '_', '.', ':' or '-', starting "
            f"with a letter or digit; got {name!r:.120}"
        )
        raise InvalidAppendError(msg)
    return name


def checked_document_key(collection: object, key: object) -> tuple[str, str]:
    """Return a read-model collection and key once valid; raise `InvalidAppendError` otherwise."""
    if not isinstance(collection, str) or _NAME.fullmatch(collection) is None:
        msg = (
            "a read-model collection must be 1-100 letters, digits, '_', '.', ':' or '-'; "
            f"got {collection!r:.120}"
        )
        raise InvalidAppendError(msg)
    problem = name_problem(key, max_length=_KEY_LENGTH)
    if problem is not None:
        msg = f"a read-model key {problem}; got {key!r:.120}"
        raise InvalidAppendError(msg)
    return collection, cast("str", key)


def encode_document(collection: str, key: str, document: Any) -> bytes:
    """Return `document` as JSON; raise `InvalidAppendError` unless it reads back equal.

    JSON turns sets and tuples into lists, bytes, dates and UUIDs into text, int keys into
    str and NaN into null: such a document would read back as something else, so it is
    refused instead of changed.
    """
    where = f"the read-model document {collection}/{key}"
    try:
        data = msgspec.json.encode(document)
    except (TypeError, ValueError, msgspec.EncodeError, OverflowError, RecursionError) as error:
        msg = (
            f"{where} is not JSON data ({error}); store dicts, lists, str, int, float, bool or None"
        )
        raise InvalidAppendError(msg) from error
    if nested_deeper_than(data, MAX_JSON_DEPTH):
        raise InvalidAppendError(f"{where} is nested more than {MAX_JSON_DEPTH} levels deep")
    if msgspec.json.decode(data) != document:
        msg = (
            f"{where} would not read back as written: JSON keeps no sets, tuples, bytes, "
            "dates, UUIDs, non-str keys or NaN; store JSON-native values (dicts with str "
            "keys, lists, str, int, finite float, bool, None)"
        )
        raise InvalidAppendError(msg)
    return data


def decode_document(data: bytes) -> Any:
    """Return the JSON value of a stored document; `StoredDataError` if it is not JSON."""
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        msg = (
            f"a stored read-model document is not the JSON tactica wrote ({error}); it was "
            "changed outside tactica: rebuild the projection"
        )
        raise StoredDataError(msg) from error


def generation_checkpoint(name: str, generation: int) -> str:
    """Return the checkpoint name a rebuild into `generation` of projection `name` keeps."""
    return f"{name}@{generation}"


def stale_generation(projection: str, after: int, written: int, current: int) -> Exception:
    """Return the conflict of a live batch for `written` when readers see `current` now.

    A rebuild swapped a new generation in since the batch's runner read it: the batch
    would land in read models nobody reads any more.
    """
    return CheckpointConflictError(
        projection,
        after,
        reason=(
            f"projection {projection!r} now shows generation {current} of its read models, "
            f"not {written}: a rebuild was swapped in, so this batch was rolled back; read "
            "the generation and the checkpoint again"
        ),
    )


def rebuild_behind(projection: str, rebuilt: int, live: int) -> Exception:
    """Return the conflict of a swap whose rebuild has not applied what the live runner has.

    Swapping then would show readers older documents, and apply those events again.
    """
    return CheckpointConflictError(
        projection,
        rebuilt,
        reason=(
            f"projection {projection!r} was not swapped: its live checkpoint ({live}) has "
            f"applied events after the rebuilt one ({rebuilt}); catch the rebuild up, then "
            "swap again"
        ),
    )


class TransactionBookkeeping:
    """What every backend's projection transaction keeps besides its documents (PURE).

    Whether it replays, the stored event in hand, and the callbacks to run after commit.
    """

    def __init__(self, *, replaying: bool) -> None:
        """Start with no event in hand and no callback."""
        self.replaying = replaying
        self._recorded: RecordedEvent | None = None
        self.callbacks: list[Callable[[], object]] = []

    @property
    def recorded(self) -> RecordedEvent:
        """The stored event being handled (stream, position, times, ids); set by the runner."""
        if self._recorded is None:
            msg = (
                "tx.recorded is only known to handlers run by a projection runner; inline "
                "projections see the domain event alone"
            )
            raise ProjectionError(msg)
        return self._recorded

    @recorded.setter
    def recorded(self, record: RecordedEvent) -> None:
        self._recorded = record

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Call `callback` once this transaction has committed, unless replaying."""
        if not self.replaying:
            self.callbacks.append(callback)
