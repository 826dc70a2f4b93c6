from __future__ import annotations

import json

from chunks.processing import chunk_process
from chunks.result_changes import utterance_change
from chunks.services import chunk_reprocess
from tests.conftest import owner_segment
from tests.factories import ChunkFactory, EnrollmentFactory


def test_it_counts_added_removed_changed_and_unchanged_segments():
    before = [(0, 1500, "hello there"), (2000, 3000, "see you"), (5000, 6000, "bye now")]
    after = [(0, 1500, "hello there"), (2000, 3200, "see you soon"), (7000, 8000, "new words")]
    assert utterance_change(before, after) == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1, "total": 3}


def test_it_pairs_a_changed_segment_with_the_old_one_it_overlaps_most():
    before = [(0, 1000, "a"), (900, 2000, "b")]
    after = [(950, 2000, "b!")]
    assert utterance_change(before, after) == {"added": 0, "removed": 1, "changed": 1, "unchanged": 0, "total": 2}


def test_it_finds_no_change_in_the_same_result():
    same = [(0, 1500, "hello"), (0, 1500, "hello")]
    assert utterance_change(same, list(same))["total"] == 0
    assert utterance_change([], []) == {"added": 0, "removed": 0, "changed": 0, "unchanged": 0, "total": 0}


def test_it_records_what_a_reprocess_changed_in_the_audit_record(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.decision["change"] is None  # the first result replaces nothing
    first_processed_at = chunk.processed_at
    fake_engine.chunk_result.segments = [
        owner_segment(0, 1500, "hello there friend"),  # unchanged
        owner_segment(2000, 3900, "see you at noon then"),  # changed
        owner_segment(5000, 6500, "and one more thing"),  # added
    ]
    chunk_reprocess(chunks=[chunk])
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.decision["change"] == {
        "added": 1,
        "removed": 0,
        "changed": 1,
        "unchanged": 1,
        "total": 2,
        "previous_processed_at": first_processed_at.isoformat(),
    }
    record = json.dumps(chunk.decision)
    assert "see you" not in record and "one more thing" not in record  # counts, never text
