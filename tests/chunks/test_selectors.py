from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chunks.models import Chunk
from chunks.selectors import chunk_device_ids, chunk_in_progress
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
