"""Chunk writes: ingest, deletion, audio retention (chunks/services.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import (
    chunk_delete,
    chunk_drop_audio,
    chunk_ingest,
    chunk_reprocess,
    chunk_requeue_stale,
    chunk_sweep_audio_retention,
)
from selective_speaker.audio_files import StorageUnavailable, UploadTooLarge
from selective_speaker.speech.types import AudioError
from tests.audio_samples import wav_bytes
from tests.chunks.test_api import stored_files
from tests.factories import ChunkFactory, EnrollmentFactory, UtteranceFactory
from tests.faults_support.broker import patch_broker
from utterances.models import Utterance

START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def ingest(user, audio=None, **fields):
    data = {"device_id": "phone-1", "start_ts": START, **fields}
    audio = audio or SimpleUploadedFile("clip.wav", wav_bytes(1.0))
    return chunk_ingest(user=user, audio_file=audio, **data)


# --- ingest -------------------------------------------------------------------------------


def test_it_ingests_and_enqueues_after_commit(user, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda func, *args, **kw: queued.append((func, args, kw)))
    with django_capture_on_commit_callbacks(execute=True):
        chunk, created = ingest(user, gps_lat=48.8566, gps_lon=2.3522)
        assert queued == []  # nothing before the commit
    assert created and chunk.status == Chunk.Status.QUEUED
    assert [(func, args) for func, args, _ in queued] == [
        ("chunks.tasks.process_chunk", (chunk.id,)),
        ("chunks.tasks.geocode_chunk", (chunk.id,)),
    ]
    assert queued[0][2] == {"task_name": f"process-chunk-{chunk.id}", "group": "process_chunk", "ack_failure": True}


def test_it_refuses_naive_timestamps_in_the_service(user, media_root):
    with pytest.raises(ValidationError) as excinfo:
        ingest(user, start_ts=datetime(2024, 5, 1, 9, 30))
    assert "start_ts" in excinfo.value.message_dict
    assert Chunk.objects.count() == 0 and stored_files(media_root) == []


def test_it_refuses_too_large_uploads_before_reading_them(user, settings, media_root):
    settings.MAX_UPLOAD_MB = 1
    with pytest.raises(UploadTooLarge):
        ingest(user, SimpleUploadedFile("big.wav", b"\0" * (1024 * 1024 + 1)))
    assert stored_files(media_root) == []


def test_it_leaves_no_row_when_storage_fails(user, monkeypatch, media_root):
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", refuse)
    with pytest.raises(StorageUnavailable):
        ingest(user)
    assert Chunk.objects.count() == 0


def test_it_deletes_the_stored_file_when_the_row_cannot_be_written(user, monkeypatch, media_root):
    def fail(self, *args, **kwargs):
        raise DatabaseError("database is gone")

    monkeypatch.setattr(Chunk, "save", fail)
    with pytest.raises(DatabaseError):
        ingest(user)
    assert stored_files(media_root) == []


def test_it_answers_a_concurrent_duplicate_with_the_winners_chunk(user, monkeypatch, media_root):
    winner, _ = ingest(user, SimpleUploadedFile("a.wav", wav_bytes(1.0, seed=3)))
    from chunks import selectors

    real = selectors.chunk_find_duplicate
    calls = {"n": 0}

    def racing_find(**kwargs):
        # the loser's first look finds nothing: the winner had not committed yet
        calls["n"] += 1
        return None if calls["n"] == 1 else real(**kwargs)

    monkeypatch.setattr("chunks.services.chunk_find_duplicate", racing_find)
    chunk, created = ingest(user, SimpleUploadedFile("b.wav", wav_bytes(1.0, seed=3)))
    assert (chunk.id, created) == (winner.id, False)
    assert Chunk.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_it_keeps_a_chunk_whose_jobs_the_broker_refused_and_the_sweep_sends_them(
    user, settings, monkeypatch, media_root, django_capture_on_commit_callbacks
):
    settings.GEOCODER = "offline"
    broker = patch_broker(monkeypatch)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        chunk, created = ingest(user, gps_lat=48.8566, gps_lon=2.3522)  # no error: the chunk is stored
    assert created and broker.refused == 2  # processing and geocoding
    chunk.refresh_from_db()
    assert (chunk.status, chunk.enqueued_at, chunk.geocode_enqueued_at) == (Chunk.Status.QUEUED, None, None)
    assert stored_files(media_root) == [media_root / chunk.audio.name]

    broker.down = False
    later = timezone.now() + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)
    assert chunk_requeue_stale(now=later) == 2
    assert broker.names() == [f"process-chunk-{chunk.id}", f"geocode-chunk-{chunk.id}"]
    assert broker.run_all()[1] == "Paris, France"
    lost = later + timedelta(seconds=settings.JOB_RESEND_AFTER_S + 1)
    assert chunk_requeue_stale(now=lost) == 0  # processed and placed: nothing to send again


# --- deletion and audio retention ---------------------------------------------------------


def test_it_deletes_a_chunk_with_its_segments_and_file(user, media_root):
    segment = UtteranceFactory(chunk__user=user)
    chunk = segment.chunk
    assert stored_files(media_root)

    chunk_delete(chunk=chunk)

    assert not Chunk.objects.filter(id=chunk.id).exists()
    assert not Utterance.objects.filter(id=segment.id).exists()
    assert stored_files(media_root) == []


def test_it_keeps_the_chunk_when_its_file_cannot_be_deleted(user, media_root, monkeypatch):
    chunk = ChunkFactory(user=user)
    monkeypatch.setattr(FileSystemStorage, "delete", _raise_oserror)

    with pytest.raises(StorageUnavailable):
        chunk_delete(chunk=chunk)

    assert Chunk.objects.filter(id=chunk.id).exists()
    assert len(stored_files(media_root)) == 1


def test_it_deletes_the_file_of_a_row_deleted_any_other_way(user, media_root, django_capture_on_commit_callbacks):
    ChunkFactory(user=user)
    EnrollmentFactory(user=user)
    assert len(stored_files(media_root)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        user.delete()  # cascades, as the admin's "delete user" does

    assert stored_files(media_root) == []


def test_it_drops_the_audio_once_processed_when_configured(user, fake_engine, settings, media_root):
    settings.CHUNK_AUDIO_RETENTION = "processed"
    chunk = ChunkFactory(user=user)
    EnrollmentFactory(user=user)

    chunk_process(chunk_id=chunk.id)

    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.DONE and chunk.segments_count == 2
    assert not chunk.audio_retained and chunk.audio_deleted_at is not None
    remaining = stored_files(media_root)
    assert len(remaining) == 1 and "enrollments" in remaining[0].parts  # the enrollment's recording only


def test_it_keeps_the_audio_of_an_unfinished_chunk_under_processed_retention(user, fake_engine, settings, media_root):
    settings.CHUNK_AUDIO_RETENTION = "processed"
    chunk = ChunkFactory(user=user)
    EnrollmentFactory(user=user)
    fake_engine.error = AudioError("the audio is unreadable")

    chunk_process(chunk_id=chunk.id)

    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.FAILED and chunk.audio_retained


def test_it_keeps_the_result_when_the_audio_cannot_be_dropped(user, fake_engine, settings, monkeypatch):
    settings.CHUNK_AUDIO_RETENTION = "processed"
    chunk = ChunkFactory(user=user)
    EnrollmentFactory(user=user)
    monkeypatch.setattr(FileSystemStorage, "delete", _raise_oserror)

    chunk_process(chunk_id=chunk.id)

    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.DONE and chunk.segments_count == 2 and chunk.audio_retained
    monkeypatch.undo()
    assert chunk_sweep_audio_retention() == 1  # the sweep catches up
    chunk.refresh_from_db()
    assert not chunk.audio_retained


def test_it_sweeps_audio_older_than_the_retention_days(user, settings, media_root):
    settings.CHUNK_AUDIO_RETENTION = "days"
    settings.CHUNK_AUDIO_RETENTION_DAYS = 30
    now = timezone.now()
    old_done = ChunkFactory(user=user, status=Chunk.Status.DONE)
    old_failed = ChunkFactory(user=user, status=Chunk.Status.FAILED)
    old_queued = ChunkFactory(user=user, status=Chunk.Status.QUEUED)
    recent = ChunkFactory(user=user, status=Chunk.Status.DONE)
    Chunk.objects.exclude(id=recent.id).update(created_at=now - timedelta(days=31))
    segment = UtteranceFactory(chunk=old_done)

    assert chunk_sweep_audio_retention(now=now) == 2

    kept = {c.id for c in Chunk.objects.all() if c.audio_retained}
    assert kept == {old_queued.id, recent.id}
    assert Utterance.objects.filter(id=segment.id).exists()  # the words stay, the audio goes
    assert old_failed.id in Chunk.objects.filter(audio_deleted_at__isnull=False).values_list("id", flat=True)
    assert len(stored_files(media_root)) == 2


def test_it_sweeps_nothing_when_audio_is_kept(user, settings):
    settings.CHUNK_AUDIO_RETENTION = "keep"
    ChunkFactory(user=user, status=Chunk.Status.DONE)
    Chunk.objects.update(created_at=timezone.now() - timedelta(days=3650))

    assert chunk_sweep_audio_retention() == 0


def test_it_does_not_reprocess_a_chunk_without_audio(user, django_capture_on_commit_callbacks):
    kept = ChunkFactory(user=user, status=Chunk.Status.DONE)
    dropped = ChunkFactory(user=user, status=Chunk.Status.DONE)
    chunk_drop_audio(chunk=dropped)

    assert chunk_reprocess(chunks=[kept, dropped]) == 1

    dropped.refresh_from_db()
    assert dropped.status == Chunk.Status.DONE


def test_it_never_brings_back_a_segment_the_owner_deleted(user, fake_engine):
    from utterances.services import utterance_delete

    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    first = Utterance.objects.get(chunk=chunk, start_ms=0)
    utterance_delete(utterance=first)

    chunk_reprocess(chunks=[chunk])
    chunk_process(chunk_id=chunk.id)

    chunk.refresh_from_db()
    assert list(Utterance.objects.filter(chunk=chunk).values_list("text", flat=True)) == ["see you at noon"]
    assert chunk.segments_count == 1


def _raise_oserror(self, name):
    raise OSError("the store is down")
