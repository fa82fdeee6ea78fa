# Generated from _projection_store_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""The projection contract, the store's side (sync colour): batches, documents, dead letters.

A batch's documents and its checkpoint move commit together or not at all; the checkpoint
moves by compare-and-set; names, keys and documents are checked before anything is written;
callbacks run after commit only; parked events keep their dead letter.
"""

from __future__ import annotations

from functools import partial

import pytest

from tactica.errors import CheckpointConflictError, InvalidAppendError
from tactica.testing._projection_support_sync import (
    BAD_KEYS,
    BAD_NAMES,
    NOT_JSON,
    ProjectionContractBase,
)

__all__ = ["ProjectionStoreContract"]


class ProjectionStoreContract(ProjectionContractBase):
    """Transactions, checkpoints, documents, callbacks and dead letters, as pytest tests."""

    # The store's side: transactions, checkpoints and documents.

    def test_a_batch_commits_its_documents_and_its_checkpoint_together(self) -> None:
        """After a batch commits, its documents and its checkpoint move are both visible."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        with self._batch(store, 0, p2) as tx:
            tx.put("totals", "a", {"total": 3, "events": [p1, p2]})
        assert store.checkpoint("totals") == p2
        assert store.document("totals", "totals", "a") == {"total": 3, "events": [p1, p2]}
        assert self.another_store().documents("totals", "totals") == {
            "a": {"total": 3, "events": [p1, p2]}
        }

    def test_a_handler_error_rolls_back_the_documents_and_the_checkpoint(self) -> None:
        """An exception inside a batch leaves the documents and the checkpoint as they were."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        with self._batch(store, 0, p1) as tx:
            tx.put("totals", "a", 1)
        with pytest.raises(RuntimeError, match="handler failed"):
            with self._batch(store, p1, p2) as tx:
                tx.put("totals", "a", 2)
                tx.put("totals", "b", 2)
                tx.delete("totals", "a")
                msg = "handler failed"
                raise RuntimeError(msg)
        assert store.checkpoint("totals") == p1
        assert store.documents("totals", "totals") == {"a": 1}

    def test_a_stale_after_is_a_checkpoint_conflict_that_stores_nothing(self) -> None:
        """A batch from a position the checkpoint has left raises and stores none of its writes."""
        store = self.new_store()
        p1, p2, p3 = self._deposits(store, 1, 2, 3)
        with self._batch(store, 0, p2) as tx:
            tx.put("totals", "a", 1)
        for stale in (p1, p3):
            with pytest.raises(CheckpointConflictError) as raised:
                with self._batch(store, stale, p3) as tx:
                    tx.put("totals", "a", 99)
                    tx.put("totals", "b", 99)
            assert raised.value.expected == stale
        assert store.checkpoint("totals") == p2
        assert store.documents("totals", "totals") == {"a": 1}

    def test_the_first_checkpoint_moves_from_zero_once(self) -> None:
        """A new checkpoint starts at 0: a first batch from 0 wins once, from elsewhere never."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        assert store.checkpoint("totals") == 0
        with pytest.raises(CheckpointConflictError):
            with self._batch(store, p1, p2) as tx:
                tx.put("totals", "from-p1", 1)
        with self._batch(store, 0, p1) as tx:
            tx.put("totals", "first", 1)
        with pytest.raises(CheckpointConflictError):
            with self._batch(store, 0, p2) as tx:
                tx.put("totals", "again-from-0", 1)
        assert store.checkpoint("totals") == p1
        assert store.documents("totals", "totals") == {"first": 1}

    def test_a_transaction_reads_its_own_writes(self) -> None:
        """Inside a batch, get and documents see its puts, replacements and deletions."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        with self._batch(store, 0, p1) as tx:
            tx.put("totals", "a", 1)
            tx.put("totals", "b", [1, "two", None, True, 2.5])
        with self._batch(store, p1, p2) as tx:
            assert tx.get("totals", "a") == 1
            assert tx.get("totals", "missing") is None
            tx.put("totals", "a", {"replaced": True})
            tx.delete("totals", "b")
            tx.delete("totals", "never-there")
            tx.put("totals", "c", "ünïcødé ☃")
            assert tx.get("totals", "a") == {"replaced": True}
            assert tx.get("totals", "b") is None
            assert tx.documents("totals") == {"a": {"replaced": True}, "c": "ünïcødé ☃"}
        assert store.documents("totals", "totals") == {
            "a": {"replaced": True},
            "c": "ünïcødé ☃",
        }

    def test_readers_see_a_batch_only_once_it_commits(self) -> None:
        """Another connection reads neither the documents nor the checkpoint of an open batch."""
        store = self.new_store()
        reader = self.another_store()
        (p1,) = self._deposits(store, 1)
        with self._batch(store, 0, p1) as tx:
            tx.put("totals", "a", 1)
            assert reader.document("totals", "totals", "a") is None
            assert reader.documents("totals", "totals") == {}
            assert reader.checkpoint("totals") == 0
        assert reader.document("totals", "totals", "a") == 1

    def test_documents_are_kept_apart_per_projection_and_collection(self) -> None:
        """One key in two projections, or in two collections, names two documents."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        with self._batch(store, 0, p1, name="one") as tx:
            tx.put("totals", "k", "one/totals")
            tx.put("counts", "k", "one/counts")
        with self._batch(store, 0, p1, name="two") as tx:
            assert tx.get("totals", "k") is None
            assert tx.documents("totals") == {}
            tx.put("totals", "k", "two/totals")
        assert store.document("one", "totals", "k") == "one/totals"
        assert store.document("one", "counts", "k") == "one/counts"
        assert store.documents("two", "totals") == {"k": "two/totals"}
        assert store.documents("two", "counts") == {}
        assert store.documents("three", "totals") == {}

    def test_a_bad_projection_name_is_refused_before_anything_is_written(self) -> None:
        """Empty, overlong, spaced, slashed or non-str projection names: InvalidAppendError."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        for name in BAD_NAMES:
            with pytest.raises(InvalidAppendError, match="projection name"):
                with store.projecting(
                    name, generation=1, checkpoint="totals", after=0, to=p1
                ) as tx:
                    tx.put("totals", "a", 1)
            with pytest.raises(InvalidAppendError, match="projection name"):
                store.start_rebuild(name)
        assert store.checkpoint("totals") == 0
        assert store.documents("totals", "totals") == {}

    def test_a_bad_collection_or_key_is_refused_before_anything_is_written(self) -> None:
        """Bad collections or keys fail get, put and delete; their batch then stores nothing."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        for collection, key in BAD_KEYS:
            with pytest.raises(InvalidAppendError, match="read-model"):
                with self._batch(store, 0, p1) as tx:
                    tx.put("totals", "fine", 1)
                    with pytest.raises(InvalidAppendError, match="read-model"):
                        tx.get(collection, key)
                    with pytest.raises(InvalidAppendError, match="read-model"):
                        tx.delete(collection, key)
                    tx.put(collection, key, 1)
            with pytest.raises(InvalidAppendError, match="read-model"):
                store.document("totals", collection, key)
            assert store.checkpoint("totals") == 0, (collection, key)
            assert store.documents("totals", "totals") == {}, (collection, key)

    def test_a_document_that_is_not_json_data_is_refused(self) -> None:
        """A document JSON cannot hold raises InvalidAppendError naming it; nothing is stored."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        for document in NOT_JSON:
            with pytest.raises(InvalidAppendError, match="totals/bad is not JSON data"):
                with self._batch(store, 0, p1) as tx:
                    tx.put("totals", "fine", 1)
                    tx.put("totals", "bad", document)
            assert store.checkpoint("totals") == 0, document
            assert store.documents("totals", "totals") == {}, document

    def test_readers_refuse_a_bad_collection(self) -> None:
        """Reading a collection with a bad name raises InvalidAppendError, as writing does."""
        store = self.new_store()
        for collection in ("", "with space", None):
            with pytest.raises(InvalidAppendError, match="read-model collection"):
                store.documents("totals", collection)

    # Callbacks after commit.

    def test_on_commit_callbacks_run_after_the_commit_and_never_on_a_rollback(
        self,
    ) -> None:
        """A callback runs once its batch has committed; a failed or conflicting one drops it."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        called: list[str] = []
        with self._batch(store, 0, p1) as tx:
            assert not tx.replaying
            tx.on_commit(partial(called.append, "committed"))
            assert called == []
        assert called == ["committed"]
        with pytest.raises(RuntimeError):
            with self._batch(store, p1, p2) as tx:
                tx.on_commit(partial(called.append, "failed"))
                raise RuntimeError
        with pytest.raises(CheckpointConflictError):
            with self._batch(store, 0, p2) as tx:
                tx.on_commit(partial(called.append, "conflicted"))
        assert called == ["committed"]

    def test_on_commit_callbacks_are_not_called_when_replaying(self) -> None:
        """A replaying batch (a rebuild) commits its documents but never calls its callbacks."""
        store = self.new_store()
        (p1,) = self._deposits(store, 1)
        called: list[str] = []
        with self._batch(store, 0, p1, replaying=True) as tx:
            assert tx.replaying
            tx.on_commit(partial(called.append, "replayed"))
            tx.put("totals", "a", 1)
        assert called == []
        assert store.document("totals", "totals", "a") == 1

    # Dead letters.

    def test_park_keeps_a_dead_letter_and_moves_the_checkpoint_past_the_event(
        self,
    ) -> None:
        """A parked event is kept with its ids, attempts and error; the checkpoint passes it."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        event = (store.read_all(after=p1))[0]
        with self._batch(store, 0, p1):
            pass
        store.park(
            "totals", event, generation=1, checkpoint="totals", after=p1, attempts=3, error="boom"
        )
        assert store.checkpoint("totals") == p2
        (letter,) = store.dead_letters("totals")
        assert (letter.projection, letter.position, letter.stream_id) == (
            "totals",
            p2,
            event.stream_id,
        )
        assert (letter.event_id, letter.type_name) == (event.event_id, event.type_name)
        assert (letter.attempts, letter.error) == (3, "boom")
        assert letter.parked_at.utcoffset() is not None
        assert store.dead_letters("other") == []

    def test_park_with_a_stale_after_conflicts_and_parks_nothing(self) -> None:
        """Parking from a position the checkpoint has left raises and keeps no dead letter."""
        store = self.new_store()
        p1, p2 = self._deposits(store, 1, 2)
        event = (store.read_all(after=p1))[0]
        with self._batch(store, 0, p2):
            pass
        with pytest.raises(CheckpointConflictError):
            store.park(
                "totals", event, generation=1, checkpoint="totals", after=p1, attempts=1, error="x"
            )
        assert store.dead_letters("totals") == []
        assert store.checkpoint("totals") == p2
