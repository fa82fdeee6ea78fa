"""The exception hierarchy. Every error tactica raises derives from `TacticaError`.

Catch `TacticaError` to handle anything the library reports; catch a subclass to react to
one situation (for example retry on `ConcurrencyError`). Messages say what was wrong and
how to fix it. Driver and serializer exceptions are translated at the edge, so callers
never need to import a third-party exception type.
"""

from __future__ import annotations

__all__ = [
    "AggregateAlreadyExistsError",
    "AggregateNotFoundError",
    "AppendOutcomeUnknownError",
    "CheckpointConflictError",
    "CommitOutcomeUnknownError",
    "ConcurrencyError",
    "ConfigurationError",
    "ConflictRetriesExhaustedError",
    "ConstraintViolationError",
    "DatabaseConnectionError",
    "DatabaseError",
    "DuplicateEventError",
    "DuplicateHandlerError",
    "DuplicateMessageTypeError",
    "DuplicateUpcasterError",
    "EventHandlerError",
    "FutureSchemaVersionError",
    "HandlerColourError",
    "HandlerNotFoundError",
    "ImmutableObjectError",
    "InvalidAppendError",
    "InvalidArgumentError",
    "InvalidMessageError",
    "InvalidReadError",
    "LockTimeoutError",
    "MessageDecodeError",
    "MessageEncodeError",
    "MissingExtraError",
    "MissingIdentityError",
    "PayloadTooLargeError",
    "ProjectionError",
    "ProjectionStoppedError",
    "ProjectionTimeoutError",
    "SchemaMissingError",
    "SerializationError",
    "StoredDataError",
    "TacticaError",
    "UnitOfWorkError",
    "UnknownMessageTypeError",
    "UnknownUpcasterTypeError",
    "UnreadableEventError",
    "UnregisteredAggregateTypeError",
    "UpcastError",
    "UpcasterBeyondCurrentVersionError",
    "UpcasterGapError",
    "WrongExpectedVersionError",
]


_SHOWN = 200  # characters of an unknown type name quoted back; stored data may be hostile


class TacticaError(Exception):
    """Base class of every exception raised by tactica."""


class ConfigurationError(TacticaError):
    """The library was wired or configured in a way that cannot work.

    Raised at start-up (class creation, registry building, composition root), before any
    data is read or written.
    """


class MissingExtraError(TacticaError, ImportError):
    """An optional feature was used without its extra installed.

    The message carries the exact ``pip install 'tactica[extra]'`` command.
    """

    def __init__(self, feature: str, extra: str) -> None:
        """Describe which `feature` needs which `extra`."""
        super().__init__(
            f"{feature} needs the optional dependencies of the {extra!r} extra; "
            f"install them with: pip install 'tactica[{extra}]'"
        )
        self.feature = feature
        self.extra = extra


class ImmutableObjectError(TacticaError, AttributeError):
    """An attempt to change an immutable value (a value object, an event, an entity's id).

    Value objects and events are replaced, never modified: build a new instance
    (``dataclasses.replace`` or ``model_copy(update=...)``) or return one from a method.
    """


class InvalidMessageError(TacticaError, ValueError):
    """A message or event was built with a value it cannot carry (e.g. a naive timestamp)."""


class MissingIdentityError(TacticaError, TypeError):
    """An entity was created without an id, and its id type cannot be generated.

    Only UUID ids (including ``NewType`` aliases of ``UUID``) are generated; pass ``id=...``
    for int, str or other identity types. A `TypeError`, like Python's own error for a
    missing argument (and so it reaches the caller unchanged from pydantic models too).
    """


class AggregateNotFoundError(TacticaError, LookupError):
    """`Repository.get` found no aggregate with the requested id.

    Use `Repository.find` when absence is an expected outcome.
    """

    def __init__(self, aggregate_type: str, aggregate_id: object) -> None:
        """Name the aggregate type and the id that was not found."""
        super().__init__(f"no {aggregate_type} with id {aggregate_id!r} was found")
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id


class UnregisteredAggregateTypeError(ConfigurationError, LookupError):
    """A stored aggregate row is keyed by a type name its class no longer declares.

    Raised by a repository's `get`/`find` (instead of "not found", which would let the
    caller add a second copy) when the requested id has no row under the class's storage
    name or aliases but has one under a name the class was stored under before: its default
    name before ``name=`` was declared, or the ``"module:QualName"`` key tactica 0.1.0.dev0
    used. Fix it by declaring that name in ``aliases=(...)`` of the class statement (the row
    is read, and moves to the new name on its next write), or by passing it as ``type_name=``.
    """

    def __init__(self, row_type: str, aggregate_type: str, aggregate_id: object) -> None:
        """Name the row's type, the class's storage name and the id looked up."""
        shown = row_type[:_SHOWN]
        super().__init__(
            f"the stored {aggregate_type} with id {aggregate_id!r:.80} is keyed by the "
            f"unregistered type name {shown!r}, which the class does not declare; add "
            f"aliases=({shown!r},) to its class statement (the row then moves to "
            f"{aggregate_type!r} on its next write), or pass type_name={shown!r}"
        )
        self.row_type = row_type
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id


class ConcurrencyError(TacticaError):
    """A write lost an optimistic-concurrency race: the stored version moved on.

    Nothing of the failed write was stored. Reload the aggregate and run the command
    again (the bus's retry middleware does this for commands that opt in).
    """


class ConflictRetriesExhaustedError(ConcurrencyError):
    """A command lost the optimistic-concurrency race on every attempt its retries allowed.

    Raised by ``RetryOnConflict`` when the last attempt conflicts too; nothing of any
    attempt was stored. The last conflict is chained as ``__cause__`` and kept as
    `last_conflict`. Being a `ConcurrencyError`, it is caught where conflicts already are.
    If it comes often, the aggregate is hot: allow more attempts or a longer
    ``max_backoff``, or serialise its commands in-process with ``KeyedLocks``.
    """

    def __init__(
        self,
        message_type: str,
        attempts: int,
        elapsed: float,
        waited: float,
        last_conflict: ConcurrencyError,
    ) -> None:
        """Say how many attempts ran over how long, and quote the last conflict."""
        tried = "its only attempt" if attempts == 1 else f"all {attempts} attempts"
        super().__init__(
            f"{message_type} lost the optimistic-concurrency race on {tried} over "
            f"{elapsed:.3f} s ({waited:.3f} s of it waiting between attempts): the retries "
            f"ran out and nothing of it was stored; the last conflict: {last_conflict}. "
            "Allow more attempts or a longer max_backoff, or serialise the commands of a "
            "hot aggregate with KeyedLocks"
        )
        self.message_type = message_type
        self.attempts = attempts
        self.elapsed = elapsed
        self.waited = waited
        self.last_conflict = last_conflict


class LockTimeoutError(ConcurrencyError):
    """A write waited longer than the database's lock timeout; nothing of it was stored.

    Something held a lock the write needed (on PostgreSQL with ``global_order="table_lock"``,
    another append or a long transaction holding the events table). Retry the write, or
    look for what holds the lock: a projection's status reports such stalls.
    """


class DatabaseError(TacticaError):
    """The database refused or failed a statement for a reason not covered by a subclass.

    The driver's own exception is chained as ``__cause__``; the transaction it happened in
    was rolled back, so nothing of it was stored. Seeing this usually means the database
    itself is in trouble (disk full, read-only file, corruption, a server-side limit).
    """


class ConstraintViolationError(DatabaseError):
    """A write broke a uniqueness constraint of tactica's tables (or of your own tables).

    tactica turns the cases it expects into their own errors (`DuplicateEventError`,
    `AggregateAlreadyExistsError`, a retried append); this one reaches you from SQL you
    ran yourself on a transaction's connection. Nothing of the transaction was stored.
    """


class SchemaMissingError(ConfigurationError, DatabaseError):
    """tactica's tables do not exist in the database this store or unit of work uses.

    Create them once, before first use, with ``create_schema(connection)`` (or
    ``async_create_schema``) from the backend's module, on a connection to that database
    (and, on PostgreSQL, with the same ``namespace``).
    """


class DatabaseConnectionError(DatabaseError):
    """The connection to the database could not be opened, or was lost mid-transaction.

    Either way nothing of the transaction was stored (the server rolls a cut one back);
    a new unit of work, with a new connection, may run the command again.
    """


class CommitOutcomeUnknownError(DatabaseConnectionError):
    """The connection was lost while COMMIT was on its way: it may or may not have happened.

    Read the changed data back before running the command again, or make the command
    idempotent (by message id) so that running it twice stores it once.
    """


class AppendOutcomeUnknownError(CommitOutcomeUnknownError):
    """An append's COMMIT was sent but its answer was lost: the events may be stored or not.

    Append the same events again, with the same event ids: the store recognises them, so
    the retry either stores them once or reports them as already appended.
    """


class WrongExpectedVersionError(ConcurrencyError):
    """An append expected a stream version (or state) that the stream is no longer at."""

    def __init__(self, stream_id: str, expected: object, actual: int) -> None:
        """Name the stream, what the append expected and the version it found."""
        found = "does not exist" if actual == 0 else f"is at version {actual}"
        super().__init__(
            f"stream {stream_id!r} was expected to be {_expected_text(expected)} but it "
            f"{found}; load it again and decide anew"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


def _expected_text(expected: object) -> str:
    if isinstance(expected, int):
        return "absent" if expected == 0 else f"at version {expected}"
    state = str(getattr(expected, "value", expected))
    return {"NO_STREAM": "absent", "STREAM_EXISTS": "present"}.get(state, state)


class DuplicateEventError(TacticaError):
    """An event id is already stored with other content, or in another place.

    Retrying an append with the very same events is safe (it reports "already appended");
    reusing an event id for a different event is a bug in the writer.
    """


class InvalidArgumentError(TacticaError, ValueError):
    """An argument was refused before anything was read or written; the message says why.

    Wrong type, out of range, or a value the database could not store and read back (a
    NUL character, a lone surrogate, an integer past 64 bits): check the named argument.
    """


class InvalidAppendError(InvalidArgumentError):
    """An append was refused before anything was written; the message says why and what to do.

    A bad stream id, expected version, event or size: nothing of the append was stored.
    """


class PayloadTooLargeError(InvalidAppendError):
    """A document (payload, metadata, snapshot state) is larger than the store accepts.

    Refused before anything was written. The limit is the store's ``max_event_bytes``;
    split the data into several events, or keep large blobs outside the event store and
    store a reference to them.
    """


class InvalidReadError(InvalidArgumentError):
    """A read of an event store was given arguments of the wrong type or range."""


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


class AggregateAlreadyExistsError(ConcurrencyError):
    """An aggregate was added with an id that is already stored."""

    def __init__(self, aggregate_type: str, aggregate_id: object) -> None:
        """Name the aggregate type and the id that already exists."""
        super().__init__(
            f"{_article(aggregate_type)} {aggregate_type} with id {aggregate_id!r} already exists; "
            "load it with get() to change it, or add it under a new id"
        )
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id


class SerializationError(TacticaError):
    """Base class for encoding and decoding failures of messages and their payloads."""


class UnknownMessageTypeError(SerializationError, LookupError):
    """A type name read from stored data or a broker is not in the registry.

    Names are only ever looked up in a `TypeRegistry`; nothing named by stored data is
    imported. Register the class (or an alias for its old name) to read such data.
    """

    def __init__(
        self,
        type_name: str,
        known: int,
        *,
        event_id: object = None,
        stream_id: object = None,
        stream_version: object = None,
        position: object = None,
    ) -> None:
        """Name the unknown type, how many names the registry knows, and the stored event.

        ``event_id``, ``stream_id``, ``stream_version`` and ``position`` name the stored
        event that carried the name, when it was read from a store (else ``None``).
        """
        shown = type_name if len(type_name) <= _SHOWN else type_name[:_SHOWN] + "..."
        stored = _stored_event(event_id, stream_id, stream_version, position)
        super().__init__(
            f"unknown message type {shown!r}{stored} (the registry knows {known} names); "
            "register the class, or add the old name to its aliases if it was renamed"
        )
        self.type_name = type_name
        self.known = known
        self.event_id = event_id
        self.stream_id = stream_id
        self.stream_version = stream_version
        self.position = position


class DuplicateMessageTypeError(ConfigurationError):
    """Two different classes claim the same registered name (or alias)."""


class MessageDecodeError(SerializationError, ValueError):
    """Bytes could not be decoded into the requested message type.

    ``type_name`` names the target type, ``field`` the JSON path of the offending field
    (``None`` when the document as a whole is malformed) and ``reason`` the cause. When
    the bytes were a stored event, ``event_id``, ``stream_id``, ``stream_version`` and
    ``position`` say which one (else they are ``None``).
    """

    def __init__(
        self,
        type_name: str,
        reason: str,
        field: str | None = None,
        *,
        event_id: object = None,
        stream_id: object = None,
        stream_version: object = None,
        position: object = None,
    ) -> None:
        """Describe which type, which field, which stored event and why decoding failed."""
        where = f" at field {field!r}" if field else ""
        stored = _stored_event(event_id, stream_id, stream_version, position)
        super().__init__(f"cannot decode {type_name}{where}{stored}: {reason}")
        self.type_name = type_name
        self.field = field
        self.reason = reason
        self.event_id = event_id
        self.stream_id = stream_id
        self.stream_version = stream_version
        self.position = position


class MessageEncodeError(SerializationError, ValueError):
    """A message could not be encoded, for example because it holds NaN or infinity."""

    def __init__(self, type_name: str, reason: str, field: str | None = None) -> None:
        """Describe which type, which field and why encoding failed."""
        where = f" at field {field!r}" if field else ""
        super().__init__(f"cannot encode {type_name}{where}: {reason}")
        self.type_name = type_name
        self.field = field
        self.reason = reason


class StoredDataError(SerializationError):
    """A stored row cannot be read back as tactica wrote it: it was changed outside tactica.

    The message names the table and the row (stream, version, position, event id where
    known) and the column that does not hold what tactica writes there. tactica never
    writes such a row: restore it from a backup, or correct the column by hand.
    """


class UnreadableEventError(SerializationError):
    """An aggregate or decider produced an event its own codec could not read back.

    Raised when committing, before anything is written: the codec's `TypeRegistry` does not
    know the event's registered name, or resolves it to another class, so every later load
    of the stream would fail. ``type_name`` is the event's registered name, ``event_type``
    its class and ``owner`` the aggregate (or decider) that produced it. Declare the event
    in the aggregate's event union (its second type argument) or register it in the codec.
    """

    def __init__(self, event_type: type, type_name: str, owner: str, problem: str) -> None:
        """Name the event type, its registered name, who produced it and what is wrong."""
        shown = f"{event_type.__module__}.{event_type.__qualname__}"
        super().__init__(
            f"{owner} produced an event of type {shown} (registered name {type_name!r}) that "
            f"its codec cannot read back: {problem}; declare the event in the aggregate's "
            "event union (EventSourcedAggregate[Id, A | B | ...]) or register it in the "
            "codec's TypeRegistry. Nothing was stored"
        )
        self.event_type = event_type
        self.type_name = type_name
        self.owner = owner


class DuplicateHandlerError(ConfigurationError):
    """A second handler was registered for a command or query type, which takes exactly one."""


class HandlerColourError(ConfigurationError, TypeError):
    """A handler of the wrong colour for what runs it, refused when that is built.

    A sync runner or unit of work cannot await an ``async def`` handler; an async one
    hands its handlers a transaction whose methods are coroutines, which a plain function
    would never await, losing its writes. The message names the handler and the fix.
    """


class HandlerNotFoundError(TacticaError, LookupError):
    """No handler is registered for a dispatched command or query type."""


class UnitOfWorkError(TacticaError):
    """A unit of work was used out of order: opened twice, committed twice, or never opened."""


class EventHandlerError(TacticaError):
    """An event handler failed after the command that raised the event had committed.

    The message says so: the command's changes stay stored; only the follow-up failed.
    """


class DuplicateUpcasterError(ConfigurationError):
    """Two upcasters take the same event type from the same schema version.

    Each step of a chain raises the version by exactly one, so a type has at most one
    upcaster per version; also raised when one is registered under the current name and
    another under an alias of the same class.
    """


class UnknownUpcasterTypeError(ConfigurationError):
    """An upcaster names an event type that the type registry does not know.

    Register the class, or add the old name to its ``aliases`` if it was renamed.
    """


class UpcasterGapError(ConfigurationError):
    """An event type's upcasters skip a version, so its chain cannot reach the current one.

    The message names the missing step and the ``@upcasters.register(...)`` call to add.
    """


class UpcasterBeyondCurrentVersionError(ConfigurationError):
    """An upcaster starts at or above its event type's current schema version.

    Its target is not the current version, so no stored event can need it: declare the
    new ``version=`` on the class, or remove the upcaster.
    """


class UpcastError(SerializationError):
    """A stored event could not be brought to its class's current schema version.

    Raised instead of returning a half-upcast document: a step is missing, an upcaster
    raised or returned something other than a dict, or the upcast document does not decode
    as the current version. ``type_name`` is the stored type name, ``stored_version`` and
    ``current_version`` the schema versions, ``event_id``, ``stream_id``, ``stream_version``
    and ``position`` the stored event when the caller knew it (else ``None``) and
    ``reason`` the cause.
    """

    def __init__(
        self,
        type_name: str,
        reason: str,
        *,
        stored_version: object,
        current_version: int,
        event_id: object = None,
        stream_id: object = None,
        stream_version: object = None,
        position: object = None,
    ) -> None:
        """Describe which event, which versions and why it could not be upcast."""
        where = _stored_event(event_id, stream_id, stream_version, position)
        super().__init__(
            f"cannot read {_shown(type_name)}{where} stored at schema version "
            f"{_shown(repr(stored_version))} as version {current_version}: {reason}"
        )
        self.type_name = type_name
        self.stored_version = stored_version
        self.current_version = current_version
        self.event_id = event_id
        self.stream_id = stream_id
        self.stream_version = stream_version
        self.position = position
        self.reason = reason


class FutureSchemaVersionError(UpcastError):
    """A stored event has a newer schema version than its class declares.

    Newer code wrote it; this code cannot know what changed. Deploy the code that declares
    that version before reading such events (older code must not guess).
    """


def _shown(text: str) -> str:
    # Stored data may be hostile: quote at most _SHOWN characters of it back.
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _stored_event(
    event_id: object, stream_id: object, stream_version: object, position: object
) -> str:
    """Return `` (event E, stream 'S' version V, position P)`` for what is known, or ''."""
    known = [f"event {_shown(str(event_id))}"] if event_id is not None else []
    if stream_id is not None:
        stream = f"stream {_shown(repr(stream_id))}"
        if stream_version is not None:
            stream += f" version {_shown(repr(stream_version))}"
        known.append(stream)
    elif stream_version is not None:
        known.append(f"stream version {_shown(repr(stream_version))}")
    if position is not None:
        known.append(f"position {_shown(repr(position))}")
    return f" ({', '.join(known)})" if known else ""


class CheckpointConflictError(ConcurrencyError):
    """Another instance of a projection moved its checkpoint first; this batch rolled back.

    Competing instances never both apply an event: the one whose checkpoint update lost
    stores nothing of its batch. A batch written for a generation of read models that a
    rebuild has since replaced conflicts too, and so does a swap whose rebuild is behind
    the live checkpoint. The runner that sees this reads the checkpoint (and generation)
    again.
    """

    def __init__(self, projection: str, expected: int, *, reason: str | None = None) -> None:
        """Name the projection and the checkpoint this instance expected to move on from.

        `reason` replaces the default explanation (that another instance moved it first).
        """
        super().__init__(
            reason
            or f"projection {projection!r} was no longer at position {expected}: another "
            "instance (or a rebuild) moved it first, so this batch was rolled back"
        )
        self.projection = projection
        self.expected = expected


class ProjectionError(TacticaError):
    """A projection could not go on: its runner stopped, or it did not catch up in time."""


class ProjectionStoppedError(ProjectionError):
    """A projection stopped at an event its handler kept failing on (poison policy ``stop``).

    Nothing of that event was applied and the checkpoint stays before it. Fix the handler
    (or the data) and start the runner again, or choose the ``park`` policy to move such
    events to the dead-letter table and go on.
    """

    def __init__(
        self, projection: str, position: int, type_name: str, attempts: int, error: str
    ) -> None:
        """Name the projection, the event that failed and how."""
        super().__init__(
            f"projection {projection!r} stopped at position {position} ({type_name!r}) after "
            f"{attempts} attempt(s): {error}"
        )
        self.projection = projection
        self.position = position
        self.type_name = type_name
        self.attempts = attempts


class ProjectionTimeoutError(ProjectionError, TimeoutError):
    """A projection did not reach a position within the time a caller was willing to wait."""

    def __init__(self, projection: str, position: int, timeout: float, reached: int) -> None:
        """Name the projection, the position waited for, the timeout and where it is."""
        super().__init__(
            f"projection {projection!r} did not reach position {position} within {timeout} s "
            f"(it is at {reached}); is its runner started and not stalled?"
        )
        self.projection = projection
        self.position = position
