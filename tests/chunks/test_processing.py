"""The chunk job (chunks/processing.py) and queueing chunks again (chunks/services.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import chunk_ingest, chunk_reprocess, chunk_requeue_stale, chunk_requeue_waiting
from enrollment.models import Enrollment
from enrollment.services import enrollment_process
from selective_speaker.speech.types import AudioError, ModelError, SpeechError
from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory, EnrollmentFactory
from tests.faults_support.broker import patch_broker
from utterances.models import Utterance

START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def ingest(user, audio=None, **fields):
    data = {"device_id": "phone-1", "start_ts": START, **fields}
    audio = audio or SimpleUploadedFile("clip.wav", wav_bytes(1.0))
    return chunk_ingest(user=user, audio_file=audio, **data)



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
    segments = list(chunk.utterances.order_by("start_ms"))
    assert [s.text for s in segments] == ["hello there friend", "see you at noon"]
    assert segments[1].start_ts == chunk.start_ts + timedelta(milliseconds=2000)
    assert segments[1].end_ts == chunk.start_ts + timedelta(milliseconds=3800)
    assert segments[0].user == user and segments[0].device_id == chunk.device_id
    assert segments[0].words[0] == {"start_ms": 0, "end_ms": 250, "text": "hello", "probability": 0.9}
    json.dumps(chunk.decision)


def test_it_judges_a_chunk_against_the_voiceprint_of_its_device(user, fake_engine):
    EnrollmentFactory(user=user)
    pendant = EnrollmentFactory(user=user, device_id="pendant-1")
    from_pendant = ChunkFactory(user=user, device_id="pendant-1")
    from_phone = ChunkFactory(user=user, device_id="phone")
    chunk_process(chunk_id=from_pendant.id)
    chunk_process(chunk_id=from_phone.id)
    (_, pendant_call), (_, phone_call) = fake_engine.calls
    np.testing.assert_array_equal(pendant_call["voiceprint"], pendant.voiceprint_array())
    assert not np.array_equal(phone_call["voiceprint"], pendant.voiceprint_array())
    from_pendant.refresh_from_db()
    from_phone.refresh_from_db()
    assert (from_pendant.enrollment, from_pendant.decision["voiceprint_device"]) == (pendant, "pendant-1")
    assert from_phone.decision["voiceprint_device"] == ""


def test_it_passes_the_telephone_band_voiceprint_when_there_is_one(user, fake_engine):
    enrollment = EnrollmentFactory(user=user)
    chunk_process(chunk_id=ChunkFactory(user=user).id)
    narrow = np.roll(enrollment.voiceprint_array(), 1)
    Enrollment.objects.filter(id=enrollment.id).update(voiceprint_narrow=Enrollment.voiceprint_bytes(narrow))
    chunk_process(chunk_id=ChunkFactory(user=user).id)
    (_, before), (_, after) = fake_engine.calls
    assert before["voiceprint_narrow"] is None
    np.testing.assert_array_equal(after["voiceprint_narrow"], narrow)


def test_it_replaces_earlier_segments_when_reprocessed(user, fake_engine, django_capture_on_commit_callbacks):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)
    with django_capture_on_commit_callbacks() as callbacks:
        assert chunk_reprocess(chunks=[chunk]) == 1
    assert len(callbacks) == 1
    assert Utterance.objects.filter(chunk=chunk).count() == 2  # kept until replaced
    chunk_process(chunk_id=chunk.id)
    assert Utterance.objects.filter(chunk=chunk).count() == 2


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
    assert Utterance.objects.filter(chunk=chunk).count() == 2


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
    assert Utterance.objects.filter(chunk=chunk).count() == 0


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

    monkeypatch.setattr(Utterance.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(DatabaseError):
        chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.QUEUED
    assert Utterance.objects.filter(chunk=chunk).count() == 2  # the transaction rolled back


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
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda func, *args, **kw: queued.append((func, args)))
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

    def lookup_then_enrollment_ready(*, user, device_id=None):
        found = real(user=user, device_id=device_id)
        EnrollmentFactory(user=user)
        return found

    monkeypatch.setattr("chunks.processing.enrollment_active_voiceprint", lookup_then_enrollment_ready)
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


def test_it_requeues_stale_chunks(user, settings, monkeypatch):
    broker = patch_broker(monkeypatch)
    now = timezone.now()
    long_ago = now - timedelta(seconds=settings.JOB_RESEND_AFTER_S + 5)
    stale = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=long_ago, next_attempt_at=now)
    # failed once; the retry was handed over long ago and never ran (a broker that lost it)
    released = ChunkFactory(user=user, attempts=1, claimed_at=long_ago, next_attempt_at=long_ago, enqueued_at=long_ago)
    leased = now + timedelta(seconds=60)
    fresh = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=now, next_attempt_at=leased)
    just_uploaded = ChunkFactory(user=user, status=Chunk.Status.QUEUED)  # its enqueue is on its way
    assert chunk_requeue_stale() == 2
    assert sorted(broker.names()) == [f"process-chunk-{stale.id}", f"process-chunk-{released.id}"]
    statuses = dict(Chunk.objects.values_list("id", "status"))
    assert statuses == {stale.id: "queued", released.id: "queued", fresh.id: "processing", just_uploaded.id: "queued"}
    assert Chunk.objects.get(id=stale.id).claimed_at is None
    assert chunk_requeue_stale() == 0  # each is sent once
