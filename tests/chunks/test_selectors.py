from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chunks.models import Chunk
from chunks.selectors import (
    chunk_batch_mates,
    chunk_changes_stamp,
    chunk_day_recordings,
    chunk_device_ids,
    chunk_in_progress,
)
from tests.factories import T0, ChunkFactory


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def test_it_lists_the_users_device_ids_once_each_sorted(user, other_user):
    ChunkFactory(user=user, device_id="watch")
    ChunkFactory(user=user, device_id="phone")
    ChunkFactory(user=user, device_id="watch")
    ChunkFactory(user=other_user, device_id="other-phone")
    assert chunk_device_ids(user=user) == ["phone", "watch"]


def test_it_has_no_device_ids_without_chunks(user):
    assert chunk_device_ids(user=user) == []


def test_it_lists_chunks_in_progress_newest_first(user, other_user):
    queued = ChunkFactory(user=user, start_ts=at(1), status=Chunk.Status.QUEUED)
    waiting = ChunkFactory(user=user, start_ts=at(2), status=Chunk.Status.WAITING)
    processing = ChunkFactory(user=user, start_ts=at(3), status=Chunk.Status.PROCESSING)
    failed = ChunkFactory(user=user, start_ts=at(4), status=Chunk.Status.FAILED, error="not audio")
    indeterminate = ChunkFactory(user=user, start_ts=at(5), status=Chunk.Status.INDETERMINATE)
    ChunkFactory(user=user, start_ts=at(6), status=Chunk.Status.DONE)
    ChunkFactory(user=other_user, start_ts=at(7), status=Chunk.Status.PROCESSING)
    assert list(chunk_in_progress(user=user)) == [indeterminate, failed, processing, waiting, queued]


def test_it_keeps_only_recent_unsuccessful_chunks_but_every_pending_one(user):
    old_failed = ChunkFactory(user=user, start_ts=at(1), status=Chunk.Status.FAILED)
    old_queued = ChunkFactory(user=user, start_ts=at(2), status=Chunk.Status.QUEUED)
    Chunk.objects.filter(id__in=[old_failed.id, old_queued.id]).update(created_at=timezone.now() - timedelta(days=30))
    new_failed = ChunkFactory(user=user, start_ts=at(3), status=Chunk.Status.INDETERMINATE)
    since = timezone.now() - timedelta(days=7)
    assert list(chunk_in_progress(user=user, unsuccessful_since=since)) == [new_failed, old_queued]


# --- one day of recordings, and the live timeline's stamp -----------------------------------


def test_it_lists_a_days_recordings_oldest_first(user, other_user):
    late = ChunkFactory(user=user, start_ts=at(30), device_id="watch")
    early = ChunkFactory(user=user, start_ts=at(0), status=Chunk.Status.FAILED)
    ChunkFactory(user=user, start_ts=at(24 * 60))  # the next day
    ChunkFactory(user=other_user, start_ts=at(10))
    since, until = at(-9 * 60), at(15 * 60)
    day = chunk_day_recordings(user=user, since=since, until=until)
    assert [(r.id, r.device_id, r.status) for r in day] == [(early.id, "phone-1", "failed"), (late.id, "watch", "queued")]
    assert [r.id for r in chunk_day_recordings(user=user, since=since, until=until, device_id="watch")] == [late.id]


def test_the_stamp_changes_with_every_change_of_the_day_or_the_panel(user, other_user):
    since, until = at(-9 * 60), at(15 * 60)

    def stamp():
        return chunk_changes_stamp(user=user, since=since, until=until)

    first = stamp()
    assert stamp() == first  # nothing changed, same stamp
    chunk = ChunkFactory(user=user, start_ts=at(0), status=Chunk.Status.QUEUED)
    uploaded = stamp()
    assert uploaded != first
    Chunk.objects.filter(id=chunk.id).update(status=Chunk.Status.PROCESSING, claimed_at=timezone.now())
    claimed = stamp()
    assert claimed != uploaded
    Chunk.objects.filter(id=chunk.id).update(status=Chunk.Status.DONE, segments_count=2, processed_at=timezone.now())
    done = stamp()
    assert done != claimed
    Chunk.objects.filter(id=chunk.id).update(segments_count=1)  # an utterance deleted
    assert stamp() != done
    deleted = stamp()
    ChunkFactory(user=other_user, start_ts=at(1))  # somebody else's: no change
    ChunkFactory(user=user, start_ts=at(3 * 24 * 60), status=Chunk.Status.DONE)  # another day, done: no change
    assert stamp() == deleted
    ChunkFactory(user=user, start_ts=at(3 * 24 * 60 + 1), status=Chunk.Status.QUEUED)  # in the panel: a change
    assert stamp() != deleted


def test_the_stamp_without_a_day_follows_the_panel_only(user):
    before = chunk_changes_stamp(user=user)
    ChunkFactory(user=user, start_ts=at(0), status=Chunk.Status.DONE)
    assert chunk_changes_stamp(user=user) == before
    ChunkFactory(user=user, start_ts=at(5), status=Chunk.Status.FAILED)
    assert chunk_changes_stamp(user=user) != before


def test_it_fills_a_batch_with_the_owners_oldest_waiting_chunks_within_its_budget(user):
    head = ChunkFactory(user=user, duration_ms=10_000)
    older_fits = ChunkFactory(user=user, duration_ms=15_000)
    ChunkFactory(user=user, duration_ms=10_000)  # too long: 10 + 15 + 10 > 30
    small = ChunkFactory(user=user, duration_ms=5_000)
    ChunkFactory(user=user, duration_ms=1_000, status=Chunk.Status.DONE)
    assert chunk_batch_mates(chunk_id=head.id, max_ms=30_000) == [(head.id, 10_000), (older_fits.id, 15_000), (small.id, 5_000)]
    assert chunk_batch_mates(chunk_id=head.id, max_ms=10_000) == [(head.id, 10_000)]  # not shorter than the budget
    assert chunk_batch_mates(chunk_id=987654, max_ms=30_000) == []
