from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone

from chunks.models import Chunk, Location
from chunks.services import (
    chunk_delete,
    chunk_drop_audio,
    chunk_geocode,
    chunk_ingest,
    chunk_process,
    chunk_reprocess,
    chunk_requeue_stale,
    chunk_requeue_waiting,
    chunk_sweep_audio_retention,
    location_for,
)
from enrollment.models import Enrollment
from enrollment.services import enrollment_process
from selective_speaker.audio_files import StorageUnavailable, UploadTooLarge
from selective_speaker.speech.types import AudioError, ModelError, SpeechError
from tests.audio_samples import wav_bytes
from tests.chunks.test_api import stored_files
from tests.factories import ChunkFactory, EnrollmentFactory, SegmentFactory
from utterances.models import Segment

START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def ingest(user, audio=None, **fields):
    data = {"device_id": "phone-1", "start_ts": START, **fields}
    audio = audio or SimpleUploadedFile("clip.wav", wav_bytes(1.0))
    return chunk_ingest(user=user, audio_file=audio, **data)


# --- ingest -------------------------------------------------------------------------------


def test_it_ingests_and_enqueues_after_commit(user, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("chunks.services.async_task", lambda func, *args, **kw: queued.append((func, args, kw)))
    with django_capture_on_commit_callbacks(execute=True):
        chunk, created = ingest(user, gps_lat=48.8566, gps_lon=2.3522)
        assert queued == []  # nothing before the commit
    assert created and chunk.status == Chunk.Status.QUEUED
    assert [(func, args) for func, args, _ in queued] == [
        ("chunks.tasks.process_chunk", (chunk.id,)),
        ("chunks.tasks.geocode_chunk", (chunk.id,)),
    ]
    assert queued[0][2] == {"task_name": f"process-chunk-{chunk.id}", "group": "process_chunk"}


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


# --- processing ---------------------------------------------------------------------------


def test_it_processes_a_chunk_and_stores_segments_in_absolute_time(user, fake_engine):
    enrollment = EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    processed = chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert processed is not None and chunk.status == Chunk.Status.DONE
    assert chunk.attempts == 1
    assert chunk.enrollment == enrollment
    assert chunk.segments_count == 2
    assert chunk.owner_speech_ms == 1500 + 1800
    assert chunk.decision["strategy"] == "voiceprint"
    assert chunk.decision["score"] == pytest.approx(0.7)  # numpy value stored as JSON
    assert chunk.decision["enrollment_ids"] == [enrollment.id]
    assert chunk.timings["asr"] == 0.05
    assert chunk.processed_at is not None
    segments = list(chunk.segments.order_by("start_ms"))
    assert [s.text for s in segments] == ["hello there friend", "see you at noon"]
    assert segments[1].start_ts == chunk.start_ts + timedelta(milliseconds=2000)
    assert segments[1].end_ts == chunk.start_ts + timedelta(milliseconds=3800)
    assert segments[0].user == user and segments[0].device_id == chunk.device_id
    assert segments[0].words[0] == {"start_ms": 0, "end_ms": 250, "text": "hello", "probability": 0.9}
    json.dumps(chunk.decision)


def test_it_replaces_earlier_segments_when_reprocessed(user, fake_engine, django_capture_on_commit_callbacks):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    with django_capture_on_commit_callbacks() as callbacks:
        assert chunk_reprocess(chunks=[chunk]) == 1
    assert len(callbacks) == 1
    assert Segment.objects.filter(chunk=chunk).count() == 2  # kept until replaced
    chunk_process(chunk_id=chunk.id)
    assert Segment.objects.filter(chunk=chunk).count() == 2


def test_it_claims_a_chunk_only_once(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=timezone.now())
    assert chunk_process(chunk_id=chunk.id) is None
    assert fake_engine.calls == []
    done = ChunkFactory(user=user, status=Chunk.Status.DONE)
    assert chunk_process(chunk_id=done.id) is None
    assert chunk_process(chunk_id=987654) is None


def test_it_processes_a_duplicate_delivery_once(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    assert chunk_process(chunk_id=chunk.id) is None
    assert len(fake_engine.calls) == 1
    assert Segment.objects.filter(chunk=chunk).count() == 2


def test_it_takes_over_a_chunk_whose_worker_died(user, fake_engine, settings):
    EnrollmentFactory(user=user)
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_S + 1)
    chunk = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=long_ago, attempts=1)
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.DONE and chunk.attempts == 2


def test_it_gives_up_on_a_chunk_whose_workers_keep_dying(user, fake_engine, settings):
    EnrollmentFactory(user=user)
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_S + 1)
    chunk = ChunkFactory(
        user=user, status=Chunk.Status.PROCESSING, claimed_at=long_ago, attempts=settings.JOB_MAX_ATTEMPTS
    )
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.FAILED
    assert "did not finish" in chunk.error
    assert fake_engine.calls == []


def test_it_drops_a_result_when_another_job_took_the_chunk_over(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    real = fake_engine.process_chunk

    def slow_process(audio, **kwargs):
        Chunk.objects.filter(id=chunk.id).update(claimed_at=timezone.now() + timedelta(seconds=1))
        return real(audio, **kwargs)

    fake_engine.process_chunk = slow_process
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.PROCESSING
    assert Segment.objects.filter(chunk=chunk).count() == 0


def test_it_fails_a_chunk_with_bad_audio_without_retrying(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk.audio.storage.delete(chunk.audio.name)
    chunk.audio.storage.save(chunk.audio.name, SimpleUploadedFile("x", b"garbage, not audio" * 10))
    assert chunk_process(chunk_id=chunk.id) is not None  # no exception: no retry
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.FAILED
    assert "not audio" in chunk.error
    assert fake_engine.calls == []


def test_it_fails_a_chunk_whose_file_is_gone(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk.audio.storage.delete(chunk.audio.name)
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.FAILED
    assert chunk.error == "the audio file is missing from storage"


@pytest.mark.parametrize("error", [AudioError("the audio could not be decoded"), ModelError("model missing")])
def test_it_fails_fast_on_permanent_engine_errors(user, fake_engine, error):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    fake_engine.error = error
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert (chunk.status, chunk.error, chunk.attempts) == (Chunk.Status.FAILED, error.reason, 1)


def test_it_retries_transient_errors_a_bounded_number_of_times(user, fake_engine, settings):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    fake_engine.error = RuntimeError("GPU fell off the bus")
    for attempt in range(1, settings.JOB_MAX_ATTEMPTS):
        with pytest.raises(RuntimeError):
            chunk_process(chunk_id=chunk.id)
        chunk.refresh_from_db()
        assert chunk.status == Chunk.Status.QUEUED
        assert chunk.attempts == attempt
        assert chunk.error == f"attempt {attempt} failed: RuntimeError: GPU fell off the bus"
    assert chunk_process(chunk_id=chunk.id) is not None  # the last attempt does not raise
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.FAILED
    assert chunk.error.startswith(f"gave up after {settings.JOB_MAX_ATTEMPTS} attempts: RuntimeError")


def test_it_retries_a_transient_speech_error(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    transient = SpeechError("out of memory")
    transient.permanent = False
    fake_engine.error = transient
    with pytest.raises(SpeechError):
        chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.QUEUED


def test_it_keeps_the_earlier_result_when_storing_fails(user, fake_engine, monkeypatch):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    chunk_reprocess(chunks=[chunk])

    def broken_bulk_create(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(Segment.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(DatabaseError):
        chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.QUEUED
    assert Segment.objects.filter(chunk=chunk).count() == 2  # the transaction rolled back


def test_it_marks_an_indeterminate_chunk_with_the_reason(user, fake_engine):
    from selective_speaker.speech.types import ChunkStatus

    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    fake_engine.chunk_result.status = ChunkStatus.INDETERMINATE
    fake_engine.chunk_result.segments = []
    fake_engine.chunk_result.reason = "the owner match is uncertain"
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.INDETERMINATE
    assert chunk.error == "the owner match is uncertain"
    assert chunk.segments_count == 0


def test_it_waits_for_an_enrollment_then_processes(user, fake_engine, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("chunks.services.async_task", lambda func, *args, **kw: queued.append((func, args)))
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.WAITING
    assert chunk.attempts == 0  # waiting is not an attempt
    assert chunk.get_status_display() == "Waiting for a voice enrollment"

    enrollment = EnrollmentFactory(user=user, status=Enrollment.Status.PENDING, voiceprint=None)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_process(enrollment=enrollment)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.QUEUED
    assert queued == [("chunks.tasks.process_chunk", (chunk.id,))]

    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.DONE
    assert chunk.enrollment == enrollment


def test_it_requeues_itself_when_an_enrollment_became_ready_meanwhile(user, fake_engine, monkeypatch):
    """The enrollment's requeue ran between this job's voiceprint lookup and its `waiting`."""
    chunk = ChunkFactory(user=user)
    from enrollment import selectors

    real = selectors.enrollment_active_voiceprint

    def lookup_then_enrollment_ready(*, user):
        found = real(user=user)
        EnrollmentFactory(user=user)
        return found

    monkeypatch.setattr("chunks.services.enrollment_active_voiceprint", lookup_then_enrollment_ready)
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.QUEUED


def test_it_requeues_only_the_users_waiting_chunks(user, other_user, django_capture_on_commit_callbacks):
    waiting = ChunkFactory(user=user, status=Chunk.Status.WAITING)
    done = ChunkFactory(user=user, status=Chunk.Status.DONE)
    others = ChunkFactory(user=other_user, status=Chunk.Status.WAITING)
    with django_capture_on_commit_callbacks() as callbacks:
        assert chunk_requeue_waiting(user=user) == 1
    assert len(callbacks) == 1
    statuses = dict(Chunk.objects.values_list("id", "status"))
    assert statuses == {waiting.id: "queued", done.id: "done", others.id: "waiting"}


def test_it_does_not_reprocess_a_chunk_being_processed(user, django_capture_on_commit_callbacks):
    busy = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=timezone.now())
    failed = ChunkFactory(user=user, status=Chunk.Status.FAILED, attempts=3, error="boom")
    with django_capture_on_commit_callbacks() as callbacks:
        assert chunk_reprocess(chunks=Chunk.objects.filter(user=user)) == 1
    assert len(callbacks) == 1
    failed.refresh_from_db()
    busy.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == ("queued", 0, "")
    assert busy.status == "processing"


def test_it_requeues_stale_chunks(user, settings, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_S + 5)
    stale = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=long_ago)
    released = ChunkFactory(user=user, status=Chunk.Status.QUEUED, claimed_at=long_ago, attempts=1)
    fresh = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=timezone.now())
    never_claimed = ChunkFactory(user=user, status=Chunk.Status.QUEUED)
    with django_capture_on_commit_callbacks() as callbacks:
        assert chunk_requeue_stale() == 2
    assert len(callbacks) == 2
    statuses = dict(Chunk.objects.values_list("id", "status"))
    assert statuses == {stale.id: "queued", released.id: "queued", fresh.id: "processing", never_claimed.id: "queued"}
    assert Chunk.objects.get(id=released.id).claimed_at is None
    with django_capture_on_commit_callbacks() as callbacks:
        assert chunk_requeue_stale() == 0  # each release is swept once


# --- places -------------------------------------------------------------------------------


class CountingGeocoder:
    def __init__(self):
        self.queries = []

    def __call__(self, query, exactly_one=True):
        from geopy.location import Location as GeoLocation
        from geopy.point import Point

        self.queries.append(query)
        raw = {"address": {"town": "Sainte-Mère", "country": "France"}}
        return GeoLocation("Sainte-Mère, France", Point(*query), raw)


def test_it_caches_locations_by_rounded_coordinates(db, monkeypatch):
    geocoder = CountingGeocoder()
    monkeypatch.setattr("chunks.services.geocoder_from_settings", lambda: geocoder)
    first = location_for(lat=48.85661, lon=2.35222)
    second = location_for(lat=48.8568, lon=2.3524)  # the same point at 3 decimals
    assert first.id == second.id
    assert geocoder.queries == [(48.857, 2.352)]  # the rounded point, once
    assert (first.city, first.country) == ("Sainte-Mère", "France")
    third = location_for(lat=48.8606, lon=2.3376)
    assert third.id != first.id
    assert Location.objects.count() == 2


def test_it_settles_a_race_on_the_same_place(db, monkeypatch):
    geocoder = CountingGeocoder()
    monkeypatch.setattr("chunks.services.geocoder_from_settings", lambda: geocoder)
    monkeypatch.setattr("chunks.services.location_cached", lambda **kwargs: None)  # both missed the cache
    assert location_for(lat=1.0, lon=1.0).id == location_for(lat=1.0, lon=1.0).id
    assert Location.objects.count() == 1


def test_it_geocodes_a_chunk_offline(user, settings):
    settings.GEOCODER = "offline"
    chunk = ChunkFactory(user=user, gps_lat=48.8566, gps_lon=2.3522)
    location = chunk_geocode(chunk=chunk)
    chunk.refresh_from_db()
    assert chunk.location == location
    assert location.address == "Paris, France"
    assert (location.city, location.country, location.provider) == ("Paris", "France", "offline")


def test_it_skips_geocoding_without_a_position(user):
    chunk = ChunkFactory(user=user)
    assert chunk_geocode(chunk=chunk) is None


# --- deletion and audio retention ---------------------------------------------------------


def test_it_deletes_a_chunk_with_its_segments_and_file(user, media_root):
    segment = SegmentFactory(chunk__user=user)
    chunk = segment.chunk
    assert stored_files(media_root)

    chunk_delete(chunk=chunk)

    assert not Chunk.objects.filter(id=chunk.id).exists()
    assert not Segment.objects.filter(id=segment.id).exists()
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
    segment = SegmentFactory(chunk=old_done)

    assert chunk_sweep_audio_retention(now=now) == 2

    kept = {c.id for c in Chunk.objects.all() if c.audio_retained}
    assert kept == {old_queued.id, recent.id}
    assert Segment.objects.filter(id=segment.id).exists()  # the words stay, the audio goes
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
    from utterances.services import segment_delete

    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    first = Segment.objects.get(chunk=chunk, start_ms=0)
    segment_delete(segment=first)

    chunk_reprocess(chunks=[chunk])
    chunk_process(chunk_id=chunk.id)

    chunk.refresh_from_db()
    assert list(Segment.objects.filter(chunk=chunk).values_list("text", flat=True)) == ["see you at noon"]
    assert chunk.segments_count == 1


def _raise_oserror(self, name):
    raise OSError("the store is down")
