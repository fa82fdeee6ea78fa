"""Checks of outbox messages a commit writes: PURE, shared by every backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast
from uuid import UUID

from tactica.errors import InvalidAppendError, PayloadTooLargeError
from tactica.ports._checks import (
    MAX_INT32,
    int_problem,
    json_problem,
    shown,
    utc_instant,
    uuid_problem,
)
from tactica.ports._events import MAX_EVENT_BYTES, valid_type_name
from tactica.ports._outbox import OutboxMessage

__all__ = ["checked_outbox", "checked_outbox_message"]


def _refuse(index: int, reason: str) -> InvalidAppendError:
    return InvalidAppendError(f"cannot write outbox message {index}: {reason}")


def checked_outbox_message(
    index: int, message: object, *, max_bytes: int = MAX_EVENT_BYTES
) -> OutboxMessage:
    """Return one outbox message once valid (its time in UTC); raise otherwise."""
    if not isinstance(message, OutboxMessage):
        raise _refuse(index, f"it is a {type(message).__name__}, not an OutboxMessage")
    fields = cast("Any", message)
    if not valid_type_name(fields.type_name):
        raise _refuse(index, f"its type name {shown(fields.type_name)} is not a registered name")
    checks = {
        "message_id": uuid_problem(fields.message_id, nil=False),
        "schema_version": int_problem(fields.schema_version, 1, MAX_INT32),
        "correlation_id": uuid_problem(fields.correlation_id, optional=True),
        "causation_id": uuid_problem(fields.causation_id, optional=True),
    }
    for name, problem in checks.items():
        if problem is not None:
            raise _refuse(index, f"its {name} {problem}")
    payload = cast("object", message.payload)
    if type(payload) is bytes and len(payload) > max_bytes:
        msg = f"cannot write outbox message {index}: its payload has {len(payload)} bytes, "
        raise PayloadTooLargeError(f"{msg}more than {max_bytes}")
    problem = json_problem(payload)
    if problem is not None:
        raise _refuse(index, f"its payload {problem}")
    occurred_at = utc_instant(fields.occurred_at)
    if isinstance(occurred_at, str):
        raise _refuse(index, f"its occurred_at {occurred_at}")
    message_id = fields.message_id
    if type(message_id) is not UUID:
        message_id = UUID(int=message_id.int)
    if occurred_at is message.occurred_at and message_id is message.message_id:
        return message
    return replace(message, occurred_at=occurred_at, message_id=message_id)


def checked_outbox(
    outbox: object, *, max_bytes: int = MAX_EVENT_BYTES
) -> tuple[OutboxMessage, ...]:
    """Return a commit's outbox messages once every one is valid; raise otherwise."""
    if not isinstance(outbox, Sequence) or isinstance(outbox, str | bytes):
        msg = f"outbox takes a sequence of OutboxMessage, not {type(outbox).__name__}"
        raise InvalidAppendError(msg)
    messages = cast("Sequence[object]", outbox)
    return tuple(
        checked_outbox_message(index, message, max_bytes=max_bytes)
        for index, message in enumerate(messages)
    )
