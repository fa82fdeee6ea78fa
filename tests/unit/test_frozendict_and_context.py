"""FrozenDict refuses every change; the message context nests and is isolated per task/thread."""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading

import pytest

from tactica import (
    FrozenDict,
    ImmutableObjectError,
    MessageContext,
    current_message_context,
    message_context,
    uuid7,
)

MUTATIONS = [
    ("item assignment", lambda d: d.__setitem__("b", 2)),
    ("item deletion", lambda d: d.__delitem__("a")),
    ("clear", lambda d: d.clear()),
    ("pop", lambda d: d.pop("a")),
    ("popitem", lambda d: d.popitem()),
    ("setdefault", lambda d: d.setdefault("b", 2)),
    ("update", lambda d: d.update(b=2)),
    ("in-place union", lambda d: d.__ior__({"b": 2})),
]


@pytest.mark.parametrize(("name", "mutate"), MUTATIONS, ids=[name for name, _ in MUTATIONS])
def test_frozendict_refuses_every_change(name, mutate) -> None:
    frozen = FrozenDict({"a": 1})
    with pytest.raises(ImmutableObjectError, match="FrozenDict"):
        mutate(frozen)
    assert frozen == {"a": 1}


def test_frozendict_reads_like_a_dict_and_hashes_by_content() -> None:
    frozen = FrozenDict({"a": 1}, b=2)
    assert frozen == {"a": 1, "b": 2}
    assert isinstance(frozen, dict)
    assert hash(frozen) == hash(FrozenDict(b=2, a=1))
    assert len({frozen, FrozenDict(a=1, b=2)}) == 1
    assert repr(frozen) == "FrozenDict({'a': 1, 'b': 2})"
    assert frozen | {"c": 3} == {"a": 1, "b": 2, "c": 3}


def test_frozendict_survives_copy_and_pickle_unchanged() -> None:
    frozen = FrozenDict({"a": 1})
    assert copy.copy(frozen) is frozen
    restored = pickle.loads(pickle.dumps(frozen))
    assert restored == frozen
    assert type(restored) is FrozenDict


def test_a_deep_copy_does_not_share_mutable_values() -> None:
    frozen = FrozenDict({"tags": ["a"]})
    clone = copy.deepcopy(frozen)
    clone["tags"].append("b")
    assert frozen["tags"] == ["a"]
    assert type(clone) is FrozenDict


def test_the_context_is_empty_outside_any_block() -> None:
    assert current_message_context() == MessageContext(correlation_id=None, causation_id=None)


def test_contexts_nest_and_are_restored_on_exit_even_after_an_error() -> None:
    outer, inner = uuid7(), uuid7()
    with message_context(correlation_id=outer, causation_id=None):

        def fail_inside() -> None:
            with message_context(correlation_id=inner, causation_id=outer):
                assert current_message_context().correlation_id == inner
                raise RuntimeError

        with pytest.raises(RuntimeError):
            fail_inside()
        assert current_message_context() == MessageContext(correlation_id=outer)
    assert current_message_context() == MessageContext()


@pytest.mark.asyncio
async def test_concurrent_asyncio_tasks_each_see_their_own_context() -> None:
    ready = asyncio.Event()
    seen: dict[str, object] = {}

    async def task(name: str) -> None:
        correlation = uuid7()
        with message_context(correlation_id=correlation, causation_id=None):
            if name == "first":
                await ready.wait()
            else:
                ready.set()
            await asyncio.sleep(0)
            seen[name] = current_message_context().correlation_id == correlation

    await asyncio.gather(task("first"), task("second"))
    assert seen == {"first": True, "second": True}


def test_threads_do_not_see_each_others_context() -> None:
    seen: list[object] = []
    with message_context(correlation_id=uuid7(), causation_id=None):
        thread = threading.Thread(target=lambda: seen.append(current_message_context()))
        thread.start()
        thread.join()
    assert seen == [MessageContext()]


def test_calling_init_again_cannot_refill_a_shared_frozendict() -> None:
    from tactica.domain.frozendict import EMPTY

    EMPTY.__init__({"sneaky": 1})
    frozen = FrozenDict({"a": 1})
    frozen.__init__({"b": 2})
    assert EMPTY == {}
    assert frozen == {"a": 1}


def test_fromkeys_and_union_build_new_frozendicts() -> None:
    assert FrozenDict.fromkeys(["a", "b"], 0) == {"a": 0, "b": 0}
    assert type(FrozenDict.fromkeys(["a"])) is FrozenDict
    union = FrozenDict(a=1) | {"b": 2}
    assert (type(union), union) == (FrozenDict, {"a": 1, "b": 2})
    reflected = {"b": 2} | FrozenDict(a=1)
    assert (type(reflected), reflected) == (FrozenDict, {"a": 1, "b": 2})


class Labels(FrozenDict[str, str]):
    pass


def test_a_frozendict_subclass_survives_pickling_and_deep_copies() -> None:
    assert type(copy.deepcopy(Labels(a="x"))) is Labels
    assert type(pickle.loads(pickle.dumps(Labels(a="x")))) is Labels


def test_the_context_can_set_only_the_correlation() -> None:
    correlation = uuid7()
    with message_context(correlation_id=correlation) as context:
        assert context == MessageContext(correlation_id=correlation, causation_id=None)
