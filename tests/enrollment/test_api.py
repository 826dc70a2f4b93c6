from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enrollment.models import Enrollment
from enrollment.services import enrollment_requeue_stale
from tests.chunks.test_api import stored_files
from tests.factories import EnrollmentFactory
from tests.faults_support.broker import patch_broker, redis_broker_down

URL = "/api/v1/enrollments/"


def test_it_accepts_an_enrollment(api, user, make_wav, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            URL, {"audio": make_wav(5.0), "phrase_text": "hello world"}, format="multipart", HTTP_X_REQUEST_ID="enr-1"
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["phrase_text"] == "hello world"
    assert body["active"] is False
    enrollment = Enrollment.objects.get(id=body["id"])
    assert (enrollment.user, enrollment.request_id) == (user, "enr-1")  # its job logs under the upload's id
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "audio, message",
    [
        (SimpleUploadedFile("me.wav", b""), "empty"),
        (SimpleUploadedFile("me.wav", b"definitely not audio" * 50), "not audio"),
    ],
)
def test_it_refuses_bad_enrollment_audio(api, audio, message, media_root):
    response = api.post(URL, {"audio": audio}, format="multipart")
    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["audio"][0]
    assert Enrollment.objects.count() == 0 and stored_files(media_root) == []


def test_it_refuses_an_over_long_enrollment(api, settings, make_wav):
    settings.MAX_ENROLL_SECONDS = 3
    response = api.post(URL, {"audio": make_wav(4.0)}, format="multipart")
    assert response.status_code == 400
    assert "longer than the limit of 3 s" in response.json()["error"]["message"]


def test_it_shows_status_and_error(api, user):
    rejected = EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, error="too little speech", error_code="too_short")
    body = api.get(rejected.get_absolute_url()).json()
    assert (body["status"], body["error"], body["active"]) == ("rejected", "too little speech", False)


def test_it_marks_the_active_enrollment(api, user):
    older = EnrollmentFactory(user=user)
    newer = EnrollmentFactory(user=user)
    results = api.get(URL).json()["results"]
    assert [(e["id"], e["active"]) for e in results] == [(newer.id, True), (older.id, False)]
    assert "voiceprint" not in results[0]


def test_it_hides_other_users_enrollments(api, other_user):
    theirs = EnrollmentFactory(user=other_user)
    assert api.get(theirs.get_absolute_url()).status_code == 404
    assert api.get(URL).json()["results"] == []


def test_it_requires_authentication(db, client):
    assert client.get(URL).status_code == 401


def test_it_deletes_an_enrollment_with_its_recording(api, user, media_root):
    older, newer = EnrollmentFactory(user=user), EnrollmentFactory(user=user)

    assert api.delete(f"/api/v1/enrollments/{newer.id}/").status_code == 204

    assert api.get(f"/api/v1/enrollments/{newer.id}/").status_code == 404
    assert [p for p in media_root.rglob("*") if p.is_file()] == [media_root / older.audio.name]


def test_it_does_not_delete_another_users_enrollment(api, other_user):
    theirs = EnrollmentFactory(user=other_user)

    assert api.delete(f"/api/v1/enrollments/{theirs.id}/").status_code == 404
    theirs.refresh_from_db()


def test_it_enrolls_a_device(api, user, make_wav):
    response = api.post(URL, {"audio": make_wav(2.0), "device_id": "pendant-1"}, format="multipart")
    assert response.status_code == 202
    assert response.json()["device_id"] == "pendant-1"
    assert Enrollment.objects.get(user=user).device_id == "pendant-1"
    assert api.get(URL).json()["results"][0]["device_id"] == "pendant-1"


def test_it_refuses_a_bad_device_id(api, user, make_wav):
    response = api.post(URL, {"audio": make_wav(2.0), "device_id": "no spaces/allowed"}, format="multipart")
    assert response.status_code == 400
    assert "device_id" in response.json()["error"]["fields"]
    assert not Enrollment.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # enqueued after a real commit
def test_it_keeps_an_enrollment_recorded_while_the_broker_is_down(
    api, user, make_wav, media_root, fake_engine, settings, monkeypatch
):
    with monkeypatch.context() as m:
        redis_broker_down(m)  # django-q2's Redis broker, nothing listening
        response = api.post(URL, {"audio": make_wav(5.0)}, format="multipart")
    assert response.status_code == 202, response.content  # accepted: the work is safe
    enrollment = Enrollment.objects.get(id=response.json()["id"])
    assert (enrollment.status, enrollment.enqueued_at) == (Enrollment.Status.PENDING, None)
    assert stored_files(media_root) == [media_root / enrollment.audio.name]  # the recording stays

    broker = patch_broker(monkeypatch)  # the broker is back
    assert enrollment_requeue_stale(now=timezone.now() + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)) == 1
    assert broker.run_all() == ["ready"]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.attempts) == (Enrollment.Status.READY, 1)
