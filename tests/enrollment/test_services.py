from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enrollment.models import Enrollment
from enrollment.services import (
    enrollment_create,
    enrollment_delete,
    enrollment_process,
    enrollment_recompute_voiceprint,
)
from selective_speaker.speech.types import EnrollmentError, RejectionCode
from tests.audio_samples import wav_bytes
from tests.chunks.test_api import stored_files
from tests.factories import EnrollmentFactory


def pending(user, **fields):
    return EnrollmentFactory(
        user=user, status=Enrollment.Status.PENDING, voiceprint=None, voiceprint_dim=None, **fields
    )


def test_it_stores_an_enrollment_and_enqueues_after_commit(user, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda func, *args, **kw: queued.append((func, args, kw)))
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_create(
            user=user, audio_file=SimpleUploadedFile("me.wav", wav_bytes(3.0)), phrase_text="  hello world "
        )
    assert enrollment.status == Enrollment.Status.PENDING
    assert enrollment.phrase_text == "hello world"
    assert enrollment.duration_ms == 3000
    assert enrollment.audio.name.startswith(f"enrollments/{user.id}/") and enrollment.audio.name.endswith(".wav")
    assert len(enrollment.audio_sha256) == 64
    assert queued == [
        (
            "enrollment.tasks.process_enrollment",
            (enrollment.id,),
            {"task_name": f"process-enrollment-{enrollment.id}", "group": "process_enrollment", "ack_failure": True},
        )
    ]


def test_it_refuses_an_enrollment_longer_than_the_limit(user, settings, media_root):
    settings.MAX_ENROLL_SECONDS = 2
    with pytest.raises(ValidationError) as excinfo:
        enrollment_create(user=user, audio_file=SimpleUploadedFile("me.wav", wav_bytes(3.0)))
    assert "longer than the limit" in excinfo.value.message_dict["audio"][0]
    assert Enrollment.objects.count() == 0 and stored_files(media_root) == []


def test_it_computes_the_voiceprint(user, fake_engine, django_capture_on_commit_callbacks):
    enrollment = pending(user, phrase_text="the best antidote")
    with django_capture_on_commit_callbacks() as callbacks:
        enrollment_process(enrollment=enrollment)
    assert len(callbacks) == 1  # the waiting chunks' requeue, after commit
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.READY
    assert enrollment.attempts == 1
    np.testing.assert_array_equal(enrollment.voiceprint_array(), fake_engine.enroll_result.voiceprint)
    assert enrollment.voiceprint_dim == 192
    assert enrollment.transcript == "the best antidote is that which is at hand"
    assert enrollment.edit_distance == 0
    assert (enrollment.speech_ms, enrollment.window_count, enrollment.consistency) == (12_000, 15, 0.81)
    assert enrollment.model_id == "campplus-192-test"
    assert enrollment.timings == {"vad": 0.1, "embed": 0.2}
    assert enrollment.processed_at is not None
    assert fake_engine.calls[0][1]["phrase_text"] == "the best antidote"


def test_it_rejects_a_recording_the_engine_cannot_learn_from(user, fake_engine):
    enrollment = pending(user)
    fake_engine.error = EnrollmentError("more than one voice: 40% of the speech sounds like somebody else")
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED
    assert enrollment.error.startswith("more than one voice")
    assert enrollment.voiceprint is None


def test_it_rejects_unreadable_stored_audio(user, fake_engine):
    enrollment = pending(user)
    enrollment.audio.storage.delete(enrollment.audio.name)
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED
    assert enrollment.error == "the audio file is missing from storage"


def test_it_stores_the_code_of_a_rejection_and_clears_it_on_recompute(user, fake_engine, settings):
    enrollment = pending(user)
    fake_engine.error = EnrollmentError("more than one voice: 40%", code=RejectionCode.SEVERAL_VOICES)
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.error_code) == (Enrollment.Status.REJECTED, "several_voices")

    assert enrollment_recompute_voiceprint(enrollment=enrollment) is True
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.error, enrollment.error_code) == (Enrollment.Status.PENDING, "", "")
    fake_engine.error = None
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.error_code) == (Enrollment.Status.READY, "")


def test_it_codes_a_missing_recording_and_a_give_up(user, fake_engine, settings):
    missing = pending(user)
    missing.audio.storage.delete(missing.audio.name)
    enrollment_process(enrollment=missing)
    missing.refresh_from_db()
    assert missing.error_code == "audio_missing"

    flaky = pending(user)
    fake_engine.error = ConnectionError("storage timed out")
    for _ in range(1, settings.JOB_MAX_ATTEMPTS):
        with pytest.raises(ConnectionError):
            enrollment_process(enrollment=flaky)
    enrollment_process(enrollment=flaky)
    flaky.refresh_from_db()
    assert (flaky.status, flaky.error_code) == (Enrollment.Status.REJECTED, "gave_up")


def test_it_stores_the_telephone_band_voiceprint(user, fake_engine):
    narrow = np.roll(fake_engine.enroll_result.voiceprint, 1)
    fake_engine.enroll_result = dataclasses.replace(fake_engine.enroll_result, voiceprint_narrow=narrow)
    enrollment = pending(user)
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    np.testing.assert_array_equal(enrollment.voiceprint_narrow_array(), narrow)


def test_it_claims_an_enrollment_once(user, fake_engine):
    enrollment = pending(user)
    assert enrollment_process(enrollment=enrollment) is not None
    assert enrollment_process(enrollment=enrollment) is None
    busy = EnrollmentFactory(user=user, status=Enrollment.Status.PROCESSING, claimed_at=timezone.now())
    assert enrollment_process(enrollment=busy) is None
    assert len(fake_engine.calls) == 1


def test_it_retries_transient_errors_then_rejects(user, fake_engine, settings):
    enrollment = pending(user)
    fake_engine.error = ConnectionError("storage timed out")
    for attempt in range(1, settings.JOB_MAX_ATTEMPTS):
        with pytest.raises(ConnectionError):
            enrollment_process(enrollment=enrollment)
        enrollment.refresh_from_db()
        assert (enrollment.status, enrollment.attempts) == (Enrollment.Status.PENDING, attempt)
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED
    assert enrollment.error.startswith(f"gave up after {settings.JOB_MAX_ATTEMPTS} attempts")


def test_it_takes_over_an_enrollment_whose_worker_died(user, fake_engine, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_S + 1)
    enrollment = EnrollmentFactory(user=user, status=Enrollment.Status.PROCESSING, claimed_at=long_ago, attempts=1)
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.attempts) == (Enrollment.Status.READY, 2)


def test_it_recomputes_a_voiceprint(user, django_capture_on_commit_callbacks):
    enrollment = EnrollmentFactory(user=user, attempts=2)
    with django_capture_on_commit_callbacks() as callbacks:
        assert enrollment_recompute_voiceprint(enrollment=enrollment) is True
    assert len(callbacks) == 1
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.attempts) == (Enrollment.Status.PENDING, 0)


def test_it_does_not_recompute_while_processing(user, django_capture_on_commit_callbacks):
    enrollment = EnrollmentFactory(user=user, status=Enrollment.Status.PROCESSING, claimed_at=timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        assert enrollment_recompute_voiceprint(enrollment=enrollment) is False
    assert callbacks == []


def test_it_cannot_recompute_without_the_recording(user):
    enrollment = EnrollmentFactory(user=user, audio="")
    with pytest.raises(ValidationError, match="no longer kept"):
        enrollment_recompute_voiceprint(enrollment=enrollment)


def test_it_drops_the_recording_once_the_voiceprint_exists_when_configured(user, fake_engine, settings, media_root):
    settings.ENROLLMENT_AUDIO_RETENTION = "drop"
    enrollment = EnrollmentFactory(user=user, status=Enrollment.Status.PENDING, voiceprint=None)

    enrollment_process(enrollment=enrollment)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.READY and enrollment.voiceprint is not None
    assert not enrollment.audio
    assert stored_files(media_root) == []


def test_it_keeps_the_recording_by_default(user, fake_engine, media_root):
    enrollment = EnrollmentFactory(user=user, status=Enrollment.Status.PENDING, voiceprint=None)

    enrollment_process(enrollment=enrollment)

    enrollment.refresh_from_db()
    assert enrollment.audio and len(stored_files(media_root)) == 1


def test_it_keeps_a_rejected_enrollments_recording_under_drop(user, fake_engine, settings, media_root):
    settings.ENROLLMENT_AUDIO_RETENTION = "drop"
    fake_engine.error = EnrollmentError("not enough speech")
    enrollment = EnrollmentFactory(user=user, status=Enrollment.Status.PENDING, voiceprint=None)

    enrollment_process(enrollment=enrollment)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED and enrollment.audio


def test_it_deletes_an_enrollment_and_its_recording(user, media_root):
    enrollment = EnrollmentFactory(user=user)

    enrollment_delete(enrollment=enrollment)

    assert not Enrollment.objects.filter(id=enrollment.id).exists()
    assert stored_files(media_root) == []
