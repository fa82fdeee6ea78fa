"""Upcasting: stored event documents of older schema versions brought to the current one.

PURE: dict -> dict functions, no I/O. Each upcaster takes one event type from one schema
version to the next; `Upcasters.validate` checks every chain against a `TypeRegistry` at
start-up, and `decode_stored` reads a stored event through the chain and the codec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from copy import deepcopy
from typing import Any, NamedTuple, TypeVar, cast

import msgspec

from tactica.codec._formats import Buffer
from tactica.codec._json import JsonCodec
from tactica.codec._registry import TypeRegistry
from tactica.domain.naming import message_name, message_version
from tactica.errors import (
    ConfigurationError,
    DuplicateUpcasterError,
    FutureSchemaVersionError,
    MessageDecodeError,
    UnknownMessageTypeError,
    UnknownUpcasterTypeError,
    UpcasterBeyondCurrentVersionError,
    UpcasterGapError,
    UpcastError,
)

__all__ = ["Upcasters", "decode_stored"]

_NOT_VALIDATED = (
    "these upcasters were not validated; call upcasters.validate(registry) in the "
    "composition root, after registering every upcaster and before reading events"
)

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
U = TypeVar("U", bound=Upcaster)


def _describe(function: Callable[..., Any]) -> str:
    module = getattr(function, "__module__", None)
    name = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{name}" if module else name


class _Step(NamedTuple):
    function: Callable[[dict[str, Any]], object]  # checked to return a dict when it runs
    type_name: str  # the name it was registered under: the current name or an alias
    from_version: int


class _Chains:
    """The validated steps of every class, bound to the registry they were checked against."""

    __slots__ = ("registry", "steps")

    def __init__(self, registry: TypeRegistry, steps: dict[type, dict[int, _Step]]) -> None:
        self.registry = registry
        self.steps = steps

    def plan(
        self, cls: type, type_name: str, version: object, where: Mapping[str, object]
    ) -> tuple[_Step, ...]:
        """Return the steps from `version` to the current one, or raise before running any.

        `where` names the stored event (``event_id``, ``stream_id``...) in the errors.
        """
        current = message_version(cls)
        error = _error_for(cls, type_name, version, where)
        future = _error_for(cls, type_name, version, where, kind=FutureSchemaVersionError)
        if type(version) is not int or version < 1:
            raise error("the stored schema version must be an int >= 1")
        if version > current:
            raise future(
                f"version {version} was written by newer code, and this code knows versions up "
                f"to {current} only; deploy the code that declares version={version} on "
                f"{cls.__qualname__} before reading such events"
            )
        steps = self.steps.get(cls, {})
        chain: list[_Step] = []
        for from_version in range(version, current):
            step = steps.get(from_version)
            if step is None:
                starts = f" (its chain starts at version {min(steps)})" if steps else ""
                raise error(
                    f"there is no upcaster from version {from_version} to {from_version + 1}"
                    f"{starts}; register one with @upcasters.register("
                    f"{message_name(cls)!r}, from_version={from_version})"
                )
            chain.append(step)
        return tuple(chain)

    @staticmethod
    def run(
        chain: tuple[_Step, ...],
        data: dict[str, Any],
        error: Callable[[str], UpcastError],
    ) -> dict[str, Any]:
        """Run `chain` over `data` (which the steps may change: the caller owns it)."""
        for step in chain:
            target = step.from_version + 1
            try:
                result = step.function(data)
            except Exception as exception:
                # The exception's text may quote payload values; it stays on __cause__.
                reason = (
                    f"the upcaster {_describe(step.function)} from version "
                    f"{step.from_version} to {target} raised {type(exception).__qualname__}"
                )
                raise error(reason) from exception
            if not isinstance(result, dict):
                raise error(
                    f"the upcaster {_describe(step.function)} from version {step.from_version} "
                    f"to {target} returned {type(result).__qualname__}, not a dict"
                )
            data = cast("dict[str, Any]", result)
        return data


class Upcasters:
    """Functions that bring stored event documents from an old schema version to the next.

    An upcaster takes the JSON object of one event type at one schema version (a plain
    ``dict``) and returns it at the next version; chained, they bring any stored version to
    the class's current ``version=``. Register them under the type's registered name or a
    former name kept in its ``aliases`` (a rename needs no upcaster), then call `validate`
    with the type registry at start-up: it refuses gaps, duplicates, unknown names and steps
    that start at or beyond the current version. Steps only ever go from ``n`` to ``n + 1``,
    so a chain can never loop. A chain may start above version 1 when older events no longer
    exist; reading one of them is then an `UpcastError`.

    Upcasters receive their own deep copy of the document, so changing it in place never
    reaches the caller's data; they must be pure (no I/O, no clock, no randomness), since
    every replay runs them again.

    Examples:
        >>> from typing import Any
        >>> from tactica import TypeRegistry, Upcasters
        >>> from tactica.dataclasses import DomainEvent
        >>> class Deposited(DomainEvent, name="bank.deposited", aliases=("Deposit",), version=3):
        ...     account_id: str
        ...     cents: int
        >>> upcasters = Upcasters()
        >>> @upcasters.register("Deposit", from_version=1)
        ... def rename_account(data: dict[str, Any]) -> dict[str, Any]:
        ...     data["account_id"] = data.pop("account")
        ...     return data
        >>> @upcasters.register("bank.deposited", from_version=2)
        ... def euros_to_cents(data: dict[str, Any]) -> dict[str, Any]:
        ...     data["cents"] = data.pop("euros") * 100
        ...     return data
        >>> upcasters.validate(TypeRegistry([Deposited]))
        >>> upcasters.upcast("Deposit", 1, {"account": "acc-1", "euros": 12})
        ('bank.deposited', 3, {'account_id': 'acc-1', 'cents': 1200})
    """

    __slots__ = ("_chains", "_steps")

    def __init__(self, *included: Upcasters) -> None:
        """Create a registry, optionally holding the upcasters of `included` registries."""
        self._steps: dict[tuple[str, int], Upcaster] = {}
        self._chains: _Chains | None = None
        for other in included:
            self.include(other)

    def register(self, type_name: str, *, from_version: int) -> Callable[[U], U]:
        """Register the decorated function as the step of `type_name` from `from_version`.

        `type_name` is the registered name or an alias of the event class; the function
        returns the document at ``from_version + 1``. A second, different function for the
        same name and version raises `DuplicateUpcasterError`.
        """
        if type(type_name) is not str or not type_name:
            msg = f"an upcaster's type name must be a non-empty str, not {type_name!r}"
            raise ConfigurationError(msg)
        if type(from_version) is not int or from_version < 1:
            msg = (
                f"the upcaster of {type_name!r} needs from_version=<int >= 1>, the schema "
                f"version it reads, not {from_version!r}"
            )
            raise ConfigurationError(msg)

        def register(function: U) -> U:
            self._add(type_name, from_version, function)
            return function

        return register

    def _add(self, type_name: str, from_version: int, function: Upcaster) -> None:
        if self._chains is not None:
            msg = (
                f"cannot add the upcaster {_describe(function)} for {type_name!r}: these "
                "upcasters were already validated; register every upcaster before "
                "calling validate()"
            )
            raise ConfigurationError(msg)
        existing = self._steps.get((type_name, from_version))
        if existing is not None and existing is not function:
            msg = (
                f"{type_name!r} already has an upcaster from version {from_version}, "
                f"{_describe(existing)}; a version takes exactly one step, so "
                f"{_describe(function)} cannot be added: merge the two, or correct from_version"
            )
            raise DuplicateUpcasterError(msg)
        self._steps[type_name, from_version] = function

    def include(self, other: Upcasters) -> None:
        """Add every upcaster of `other` (a different one for the same step is an error)."""
        for (type_name, from_version), function in other._steps.items():
            self._add(type_name, from_version, function)

    def validate(self, registry: TypeRegistry) -> None:
        """Check every chain against `registry` and bind it for `upcast` and `decode_stored`.

        Names (and aliases) must resolve in `registry`; each class may have one step per
        version; no step may start at or above the class's current version; and from its
        lowest step, a class's chain must reach the current version without a gap. Raises
        `UnknownUpcasterTypeError`, `DuplicateUpcasterError`,
        `UpcasterBeyondCurrentVersionError` or `UpcasterGapError`, each naming the type and
        the step. Call it once in the composition root, after registering every upcaster.
        """
        by_class: dict[type, dict[int, _Step]] = {}
        for (type_name, from_version), function in sorted(
            self._steps.items(), key=lambda item: item[0]
        ):
            try:
                cls = registry.resolve(type_name)
            except UnknownMessageTypeError:
                msg = (
                    f"the upcaster {_describe(function)} is registered for {type_name!r}, which "
                    "the type registry does not know; register the event class, add "
                    f"{type_name!r} to its aliases if it was renamed, or remove the upcaster"
                )
                raise UnknownUpcasterTypeError(msg) from None
            steps = by_class.setdefault(cls, {})
            other = steps.get(from_version)
            if other is not None and other.function is not function:
                msg = (
                    f"{message_name(cls)!r} has two upcasters from version {from_version}: "
                    f"{_describe(other.function)} (registered under {other.type_name!r}) and "
                    f"{_describe(function)} (under {type_name!r}, the same class); keep one"
                )
                raise DuplicateUpcasterError(msg)
            steps[from_version] = _Step(function, type_name, from_version)
        for cls, steps in by_class.items():
            _check_chain(cls, steps)
        self._chains = _Chains(registry, by_class)

    @property
    def registry(self) -> TypeRegistry | None:
        """The registry the upcasters were validated against (None before `validate`)."""
        return None if self._chains is None else self._chains.registry

    def _validated(self) -> _Chains:
        if self._chains is None:
            raise ConfigurationError(_NOT_VALIDATED)
        return self._chains

    def upcast(
        self,
        type_name: str,
        version: int,
        data: dict[str, Any],
        *,
        event_id: object = None,
        stream_id: object = None,
        stream_version: object = None,
        position: object = None,
        copy: bool = True,
    ) -> tuple[str, int, dict[str, Any]]:
        """Return ``(current_name, current_version, document)`` for a stored document.

        `type_name` may be an alias. `data` is returned as is when it is already at the
        current version; otherwise the steps work on a deep copy of it, so it never changes
        (``copy=False`` hands them `data` itself, for a caller that discards it). Raises
        `UnknownMessageTypeError` for an unregistered name, `FutureSchemaVersionError` for a
        version newer than the class's, and `UpcastError` for a missing step or an upcaster
        that raised or returned something other than a dict; `event_id`, `stream_id`,
        `stream_version` and `position`, when given, are named in the error. Nothing is
        returned half-upcast.
        """
        chains = self._validated()
        where = _where(event_id, stream_id, stream_version, position)
        try:
            cls = chains.registry.resolve(type_name)
        except UnknownMessageTypeError as unknown:
            raise _unknown_at(unknown, where) from None
        chain = chains.plan(cls, type_name, version, where)
        if not chain:
            return message_name(cls), version, data
        document = _Chains.run(
            chain,
            deepcopy(data) if copy else data,
            _error_for(cls, type_name, version, where),
        )
        return message_name(cls), message_version(cls), document

    def __len__(self) -> int:
        """Return how many upcasters are registered."""
        return len(self._steps)

    def __repr__(self) -> str:
        """Show how many upcasters are registered and whether they were validated."""
        state = "validated" if self._chains is not None else "not validated"
        return f"Upcasters(<{len(self._steps)} upcasters, {state}>)"


def _check_chain(cls: type, steps: dict[int, _Step]) -> None:
    current = message_version(cls)
    name = message_name(cls)
    for from_version in sorted(steps):
        if from_version >= current:
            step = steps[from_version]
            msg = (
                f"the upcaster {_describe(step.function)} takes {step.type_name!r} from version "
                f"{from_version} to {from_version + 1}, but {cls.__qualname__} ({name!r}) is "
                f"at version {current}, so no stored event can need it; declare "
                f"version={from_version + 1} on the class if its schema changed, or remove "
                "the upcaster"
            )
            raise UpcasterBeyondCurrentVersionError(msg)
    lowest = min(steps)
    missing = [version for version in range(lowest, current) if version not in steps]
    if missing:
        first = missing[0]
        msg = (
            f"the upcasters of {name!r} cannot reach its current version {current}: there is "
            f"no step from version {first} to {first + 1} (steps exist from versions "
            f"{', '.join(map(str, sorted(steps)))}); register one with "
            f"@upcasters.register({name!r}, from_version={first})"
        )
        raise UpcasterGapError(msg)


def _where(
    event_id: object, stream_id: object, stream_version: object, position: object
) -> dict[str, object]:
    return {
        "event_id": event_id,
        "stream_id": stream_id,
        "stream_version": stream_version,
        "position": position,
    }


def _unknown_at(error: UnknownMessageTypeError, where: Mapping[str, Any]) -> Exception:
    if not any(value is not None for value in where.values()):
        return error
    return UnknownMessageTypeError(error.type_name, error.known, **where)


def _decode_error_at(error: MessageDecodeError, where: Mapping[str, Any]) -> Exception:
    if not any(value is not None for value in where.values()):
        return error
    return MessageDecodeError(error.type_name, error.reason, error.field, **where)


def _error_for(
    cls: type,
    type_name: str,
    version: object,
    where: Mapping[str, Any],
    *,
    kind: type[UpcastError] = UpcastError,
) -> Callable[[str], UpcastError]:
    def error(reason: str) -> UpcastError:
        return kind(
            type_name,
            reason,
            stored_version=version,
            current_version=message_version(cls),
            **where,
        )

    return error


def _parse(type_name: str, payload: Buffer) -> dict[str, Any]:
    try:
        data: object = msgspec.json.decode(payload)
    except RecursionError:
        raise MessageDecodeError(type_name, "the document is nested too deeply") from None
    except (msgspec.DecodeError, UnicodeDecodeError, TypeError) as error:
        raise MessageDecodeError(type_name, str(error)) from error
    if not isinstance(data, dict):
        reason = f"the stored document is a JSON {type(data).__qualname__}, not an object"
        raise MessageDecodeError(type_name, reason)
    return cast("dict[str, Any]", data)


def decode_stored(
    codec: JsonCodec,
    upcasters: Upcasters | None,
    type_name: str,
    schema_version: int,
    payload: Buffer,
    *,
    event_id: object = None,
    stream_id: object = None,
    stream_version: object = None,
    position: object = None,
) -> Any:
    """Return the event stored as `payload` under `type_name` at `schema_version`.

    An event at its class's current version is decoded straight from the bytes. An older
    one is read into a dict, brought to the current version by `upcasters` (validated
    against ``codec.registry``; ``None`` means there are none) and decoded from that. The
    type name is only looked up in the registry: nothing named by stored data is imported.

    Raises `UnknownMessageTypeError` for an unregistered name, `MessageDecodeError` for a
    malformed payload, `FutureSchemaVersionError` for a newer version than the class's and
    `UpcastError` when a step is missing, an upcaster fails or its result does not decode;
    `event_id`, `stream_id`, `stream_version` and `position`, when given, are named in the
    error and set on it (the stored event it was reading).

    Examples:
        >>> from typing import Any
        >>> from tactica import JsonCodec, TypeRegistry, Upcasters
        >>> from tactica.codec import decode_stored
        >>> from tactica.dataclasses import DomainEvent
        >>> class Renamed(DomainEvent, name="people.renamed", version=2):
        ...     full_name: str
        >>> upcasters = Upcasters()
        >>> @upcasters.register("people.renamed", from_version=1)
        ... def join_names(data: dict[str, Any]) -> dict[str, Any]:
        ...     data["full_name"] = f"{data.pop('first')} {data.pop('last')}"
        ...     return data
        >>> codec = JsonCodec(TypeRegistry([Renamed]))
        >>> upcasters.validate(codec.registry)
        >>> stored = (
        ...     b'{"event_id": "0195d8e2-7d0a-7c2e-8000-000000000001",'
        ...     b' "occurred_at": "2026-01-01T00:00:00Z", "first": "Ada", "last": "Lovelace"}'
        ... )
        >>> decode_stored(codec, upcasters, "people.renamed", 1, stored).full_name
        'Ada Lovelace'
    """
    where = _where(event_id, stream_id, stream_version, position)
    try:
        return _decode_stored(codec, upcasters, type_name, schema_version, payload, where=where)
    except UnknownMessageTypeError as error:
        raise _unknown_at(error, where) from None
    except MessageDecodeError as error:
        located = _decode_error_at(error, where)
        if located is error:
            raise
        raise located from error


def _decode_stored(
    codec: JsonCodec,
    upcasters: Upcasters | None,
    type_name: str,
    schema_version: int,
    payload: Buffer,
    *,
    where: Mapping[str, Any],
) -> Any:
    registry = codec.registry
    cls: type[Any] = registry.resolve(type_name)
    current = message_version(cls)
    if type(schema_version) is int and schema_version == current:
        return codec.decode(payload, cls)
    if not (type(schema_version) is int and 1 <= schema_version < current):
        # A bad or newer version: its typed error is raised before the payload is parsed.
        _Chains(registry, {}).plan(cls, type_name, schema_version, where)
    if upcasters is None:
        upcasters = Upcasters()
        upcasters.validate(registry)
    elif upcasters.registry is not registry:
        msg = (
            _NOT_VALIDATED
            if upcasters.registry is None
            else "these upcasters were validated against another TypeRegistry than the "
            "codec's; call upcasters.validate(codec.registry)"
        )
        raise ConfigurationError(msg)
    error = _error_for(cls, type_name, schema_version, where)
    # The parsed dict is this function's own, so the steps need no copy of it.
    _, _, data = upcasters.upcast(
        type_name, schema_version, _parse(type_name, payload), **where, copy=False
    )
    try:
        document = msgspec.json.encode(data)
    except (TypeError, ValueError, OverflowError) as exception:
        reason = f"the upcast document cannot be written as JSON: {exception}"
        raise error(reason) from exception
    try:
        return codec.decode(document, cls)
    except MessageDecodeError as exception:
        where_field = f" at field {exception.field!r}" if exception.field else ""
        reason = f"the upcast document does not decode as version {current}{where_field}: "
        raise error(reason + exception.reason) from exception
