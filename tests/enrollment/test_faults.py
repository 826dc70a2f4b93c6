"""Faults around an enrollment's job and upload (issue 4): the file store or the database failing
during the voiceprint job or the upload, and an enrollment left in `processing` or released for
a retry that never comes (a killed worker; Redis drops failed jobs) — found by the scheduled
sweep, like chunks (tests/chunks/test_faults.py has the killed-worker tests with real clusters).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.conf import Conf
from django_q.models import Schedule, Task

from chunks.models import Chunk
from enrollment.models import Enrollment
from enrollment.services import enrollment_process, enrollment_recompute_voiceprint, enrollment_requeue_stale
from tests.audio_samples import wav_bytes
from tests.chunks.test_api import stored_files
from tests.factories import ChunkFactory, EnrollmentFactory
from tests.faults_support.broker import patch_broker
from tests.faults_support.storage import READ_FAULTS, WRITE_FAULTS, read_faults, write_faults

SWEEP = "enrollment.requeue_stale_enrollments"


def pending(user, **fields):
    fields = {"status": Enrollment.Status.PENDING, **fields}
    return EnrollmentFactory(user=user, voiceprint=None, voiceprint_dim=None, **fields)


def assert_ready(enrollment: Enrollment, *, attempts: int) -> None:
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.attempts, enrollment.error) == (Enrollment.Status.READY, attempts, "")
    assert enrollment.voiceprint_dim == 192


# --- an enrollment stuck in `processing`, or released for a retry that never came ---------


def test_it_requeues_stale_enrollments(user, settings, monkeypatch):
    broker = patch_broker(monkeypatch)
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_RESEND_AFTER_S + 5)
    stale = pending(user, status=Enrollment.Status.PROCESSING, claimed_at=long_ago, attempts=1)  # no lease: legacy
    # failed once; the retry was handed over long ago and never ran (a broker that lost it)
    released = pending(user, claimed_at=long_ago, attempts=1, next_attempt_at=long_ago, enqueued_at=long_ago)
    running = pending(user, status=Enrollment.Status.PROCESSING, claimed_at=timezone.now(), attempts=1)
    never_claimed = pending(user)  # just recorded: its enqueue is on its way
    ready = EnrollmentFactory(user=user, claimed_at=long_ago)
    assert enrollment_requeue_stale() == 2
    assert sorted(broker.names()) == [f"process-enrollment-{stale.id}", f"process-enrollment-{released.id}"]
    statuses = dict(Enrollment.objects.values_list("id", "status"))
    assert statuses == {
        stale.id: "pending",
        released.id: "pending",
        running.id: "processing",
        never_claimed.id: "pending",
        ready.id: "ready",
    }
    assert Enrollment.objects.get(id=stale.id).claimed_at is None
    assert enrollment_requeue_stale() == 0  # each one is sent once


def test_it_recovers_a_stuck_enrollment_through_its_schedule(
    user, fake_engine, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The migration's schedule runs the sweep, django-q2's worker code (sync mode) runs the
    jobs: the enrollment becomes ready, and the chunk that waited for it is processed."""
    from django_q.scheduler import scheduler

    schedule = Schedule.objects.get(name=SWEEP)
    assert callable(import_string(schedule.func))
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)

    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_S + 1)
    stuck = pending(user, status=Enrollment.Status.PROCESSING, claimed_at=long_ago, attempts=1)
    waiting = ChunkFactory(user=user, status=Chunk.Status.WAITING)
    monkeypatch.setattr(Conf, "SYNC", True)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler()
    assert Task.objects.get(group=SWEEP).result == 1
    assert_ready(stuck, attempts=2)
    waiting.refresh_from_db()
    assert waiting.status == Chunk.Status.DONE


def test_it_rejects_an_enrollment_whose_voiceprint_cannot_be_stored_after_bounded_attempts(
    user, fake_engine, monkeypatch, settings
):
    """Storing the voiceprint fails (the database): the job dies with its claim held; the sweep
    takes it up again, and the claim count stops it after JOB_MAX_ATTEMPTS."""
    enrollment = pending(user)
    later = timezone.now() + timedelta(seconds=settings.JOB_STALE_AFTER_S + 1)

    class Unwritable:
        def update(self, **fields):
            raise OperationalError("the database system is shutting down")

    with monkeypatch.context() as m:
        m.setattr("selective_speaker.jobs.JobQueue.held", lambda queue, row_id, claimed_at: Unwritable())
        for attempt in range(1, settings.JOB_MAX_ATTEMPTS + 1):
            with pytest.raises(OperationalError):
                enrollment_process(enrollment=enrollment)
            enrollment.refresh_from_db()
            assert (enrollment.status, enrollment.attempts) == (Enrollment.Status.PROCESSING, attempt)
            assert enrollment_requeue_stale(now=later) == 1
    enrollment_process(enrollment=enrollment)  # one claim too many: no engine, a reason
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED
    assert enrollment.error == f"processing did not finish after {settings.JOB_MAX_ATTEMPTS} attempts"
    assert len(fake_engine.calls) == settings.JOB_MAX_ATTEMPTS

    assert enrollment_recompute_voiceprint(enrollment=enrollment) is True  # the staff action
    enrollment_process(enrollment=enrollment)
    assert_ready(enrollment, attempts=1)


# --- the file store fails during the job --------------------------------------------------


@read_faults
def test_it_rejects_an_enrollment_after_bounded_storage_errors_and_recompute_recovers_it(
    user, fake_engine, monkeypatch, settings, read_fault
):
    enrollment = pending(user)
    with monkeypatch.context() as m:
        READ_FAULTS[read_fault](m)
        for attempt in range(1, settings.JOB_MAX_ATTEMPTS):
            with pytest.raises(Exception):  # noqa: B017 - the store's own error, re-raised for a retry
                enrollment_process(enrollment=enrollment)
            enrollment.refresh_from_db()
            assert (enrollment.status, enrollment.attempts) == (Enrollment.Status.PENDING, attempt)
        enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED
    assert enrollment.error.startswith(f"gave up after {settings.JOB_MAX_ATTEMPTS} attempts:")
    assert fake_engine.calls == []
    assert enrollment.audio.storage.exists(enrollment.audio.name)  # an outage deletes nothing

    assert enrollment_recompute_voiceprint(enrollment=enrollment) is True
    enrollment_process(enrollment=enrollment)
    assert_ready(enrollment, attempts=1)


# --- the file store or the database fails during the upload -------------------------------


def post_enrollment(api):
    audio = SimpleUploadedFile("me.wav", wav_bytes(3.0), content_type="audio/wav")
    return api.post("/api/v1/enrollments/", {"audio": audio}, format="multipart")


def assert_retryable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "unavailable"


@write_faults
def test_it_answers_an_enrollment_upload_with_a_retryable_503_when_storage_fails(
    api, user, media_root, monkeypatch, write_fault
):
    with monkeypatch.context() as m:
        WRITE_FAULTS[write_fault](m)
        assert_retryable(post_enrollment(api))
    assert Enrollment.objects.count() == 0
    assert stored_files(media_root) == []  # not even part of a file

    assert post_enrollment(api).status_code == 202  # the client's retry, once the store is back
    assert Enrollment.objects.count() == 1 and len(stored_files(media_root)) == 1


def test_it_answers_an_enrollment_upload_with_a_retryable_503_when_the_database_fails(
    api, user, media_root, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as m:
        m.setattr(Enrollment, "save", refuse)
        assert_retryable(post_enrollment(api))
    assert Enrollment.objects.count() == 0
    assert stored_files(media_root) == []
    assert post_enrollment(api).status_code == 202
