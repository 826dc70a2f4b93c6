"""chunks/selectors.py, the job-queue reads an operator's tools use (manage.py status, /metrics)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chunks.models import Chunk
from chunks.selectors import (
    chunk_failure_counts,
    chunk_oldest_pending,
    chunk_processed_since,
    chunk_status_counts,
    chunk_stuck,
    chunk_uploaded_count,
)
from tests.factories import ChunkFactory


def test_it_counts_chunks_by_status_with_every_status(user, other_user):
    ChunkFactory(user=user, status=Chunk.Status.QUEUED)
    ChunkFactory(user=other_user, status=Chunk.Status.QUEUED)
    ChunkFactory(user=user, status=Chunk.Status.DONE)
    counts = chunk_status_counts()
    assert counts == {"queued": 2, "waiting": 0, "processing": 0, "done": 1, "failed": 0, "indeterminate": 0}
    assert chunk_status_counts(statuses=("queued", "failed")) == {"queued": 2, "failed": 0}


def test_it_finds_the_oldest_upload_of_each_pending_status(user):
    now = timezone.now()
    old, new, done = (ChunkFactory(user=user, status=s) for s in ("queued", "queued", "done"))
    Chunk.objects.filter(id=old.id).update(created_at=now - timedelta(hours=2))
    Chunk.objects.filter(id=done.id).update(created_at=now - timedelta(days=9))
    oldest = chunk_oldest_pending()
    assert set(oldest) == {"queued"}
    assert oldest["queued"] == now - timedelta(hours=2)


def test_it_calls_stuck_only_claims_past_their_lease(user):
    now = timezone.now()
    lease_over = {"claimed_at": now - timedelta(minutes=5), "next_attempt_at": now - timedelta(seconds=1)}
    stuck = ChunkFactory(user=user, status="processing", **lease_over)
    ChunkFactory(user=user, status="processing", claimed_at=now, next_attempt_at=now + timedelta(minutes=2))
    ChunkFactory(user=user, status="queued", next_attempt_at=now - timedelta(hours=1))
    assert list(chunk_stuck(now=now)) == [stuck]


def test_it_counts_failed_chunks_by_reason(user):
    for error in (
        "gave up after 3 attempts: OperationalError: connection refused",
        "processing did not finish after 3 attempts",
        "the audio file is missing from storage",
        "the file is truncated: its last Ogg page is incomplete",
    ):
        ChunkFactory(user=user, status="failed", error=error)
    ChunkFactory(user=user, status="indeterminate", error="gave up after 1 attempts")
    assert chunk_failure_counts() == {"gave_up": 2, "audio_missing": 1, "unprocessable": 1}


def test_it_lists_the_chunks_processed_in_a_window_and_counts_uploads(user):
    now = timezone.now()
    fields = {"claimed_at": now - timedelta(seconds=30), "processed_at": now - timedelta(seconds=20)}
    recent = ChunkFactory(user=user, status="done", duration_ms=60_000, **fields)
    ChunkFactory(user=user, status="indeterminate", **fields)
    ChunkFactory(user=user, status="failed", **fields)  # no result: counted as a failure instead
    ChunkFactory(user=user, status="done", claimed_at=now - timedelta(hours=2), processed_at=now - timedelta(hours=2))
    Chunk.objects.filter(id=recent.id).update(created_at=now - timedelta(seconds=90))
    rows = sorted(chunk_processed_since(since=now - timedelta(minutes=15)), key=lambda row: row[0])
    assert len(rows) == 2
    assert rows[0] == (now - timedelta(seconds=90), fields["claimed_at"], fields["processed_at"], 60_000, None)
    Chunk.objects.filter(id=recent.id).update(timings={"total": 2.5, "asr": 1.0})
    assert (2.5, 60_000) in [(row[4], row[3]) for row in chunk_processed_since(since=now - timedelta(minutes=15))]
    assert chunk_uploaded_count(since=now - timedelta(minutes=1)) == 3
