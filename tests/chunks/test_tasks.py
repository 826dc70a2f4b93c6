from __future__ import annotations

import pytest
from django_q.conf import Conf
from django_q.models import Task

from chunks.models import Chunk
from chunks.tasks import geocode_chunk, process_chunk, requeue_stale_chunks
from tests.factories import ChunkFactory, EnrollmentFactory
from tests.test_logging_setup import LogLines


def test_it_processes_by_id(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    assert process_chunk(chunk.id) == "done"
    assert process_chunk(chunk.id) == "skipped"


def test_it_geocodes_by_id(user, settings):
    settings.GEOCODER = "offline"
    chunk = ChunkFactory(user=user, gps_lat=48.8566, gps_lon=2.3522)
    assert geocode_chunk(chunk.id) == "Paris, France"
    assert geocode_chunk(ChunkFactory(user=user).id) == "no position"
    assert geocode_chunk(123456) == "gone"


def test_it_requeues_stale_chunks_by_schedule(db):
    assert requeue_stale_chunks() == 0


@pytest.fixture
def q_sync(monkeypatch):
    """django-q2 runs jobs in-process, through its real worker and result store."""
    monkeypatch.setattr(Conf, "SYNC", True)


def test_it_runs_an_upload_through_django_q(
    api, user, fake_engine, make_wav, settings, q_sync, django_capture_on_commit_callbacks
):
    settings.GEOCODER = "offline"
    EnrollmentFactory(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/chunks/",
            {
                "audio": make_wav(1.0),
                "device_id": "pendant",
                "start_ts": "2024-05-01T09:30:00Z",
                "gps_lat": "48.8566",
                "gps_lon": "2.3522",
            },
            format="multipart",
        )
    assert response.status_code == 202
    chunk = Chunk.objects.get(id=response.json()["id"])
    assert chunk.status == Chunk.Status.DONE
    assert chunk.location.address == "Paris, France"
    tasks = {t.name: (t.success, t.result) for t in Task.objects.all()}
    assert tasks == {
        f"process-chunk-{chunk.id}": (True, "done"),
        f"geocode-chunk-{chunk.id}": (True, "Paris, France"),
    }
    body = api.get("/api/v1/utterances/?device_id=pendant").json()
    assert [b["text"] for b in body["results"]] == ["see you at noon", "hello there friend"]
    assert body["results"][0]["address"] == "Paris, France"


def test_it_schedules_the_stale_chunk_sweep(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="chunks.requeue_stale_chunks")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "chunks.tasks.requeue_stale_chunks",
        Schedule.MINUTES,
        1,  # JOB_SWEEP_MINUTES: a killed worker's chunk goes again within a minute of its lease
    )


def test_an_uploads_request_id_reaches_its_jobs_log_lines_and_audit_record(
    api, user, fake_engine, make_wav, q_sync, django_capture_on_commit_callbacks
):
    EnrollmentFactory(user=user)
    with LogLines("selective_speaker.jobs") as job_log, django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/chunks/",
            {"audio": make_wav(1.0), "device_id": "pendant", "start_ts": "2024-05-01T09:30:00Z"},
            format="multipart",
            HTTP_X_REQUEST_ID="abc",
        )
    chunk = Chunk.objects.get(id=response.json()["id"])
    assert (chunk.status, chunk.request_id) == (Chunk.Status.DONE, "abc")
    assert {"message": f"chunk {chunk.id} claimed for processing", "request_id": "abc"}.items() <= (
        job_log.records[0].items()
    )


def test_a_job_runs_under_the_request_id_it_was_queued_with(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    with LogLines("selective_speaker.jobs") as job_log:
        assert process_chunk(chunk.id, request_id="req-9") == "done"
        assert process_chunk(chunk.id) == "skipped"
    assert [r["request_id"] for r in job_log.records] == ["req-9", "-"]
