"""The shared job machinery (selective_speaker/jobs.py), shown on chunks: the outbox (a job the
broker refused is enqueued by the sweep), retries with back-off, and a claim's lease tied to the
length of the audio."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule, Task

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import CHUNK_JOBS
from selective_speaker.request_id import request_id_bound
from tests.factories import ChunkFactory, EnrollmentFactory
from tests.faults_support.broker import patch_broker


@pytest.fixture
def broker(monkeypatch):
    return patch_broker(monkeypatch)


def sweep(now):
    return CHUNK_JOBS.requeue_stale(now=now)


# --- the outbox: a row's job reaches the broker, or the sweep sends it ---------------------


def test_it_marks_a_job_enqueued_only_once_the_broker_took_it(user, broker, django_capture_on_commit_callbacks):
    chunk = ChunkFactory(user=user)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        CHUNK_JOBS.enqueue_on_commit([chunk.id])  # a refusal is logged, never raised
    chunk.refresh_from_db()
    assert (broker.refused, chunk.enqueued_at) == (1, None)

    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        CHUNK_JOBS.enqueue_on_commit([chunk.id])
    chunk.refresh_from_db()
    assert chunk.enqueued_at is not None
    assert broker.jobs == [
        (
            "chunks.tasks.process_chunk",
            (chunk.id,),
            {"task_name": f"process-chunk-{chunk.id}", "group": "process_chunk", "ack_failure": True},
        )
    ]


def test_it_sweeps_a_waiting_row_the_broker_never_got_after_a_grace(user, broker, settings):
    chunk = ChunkFactory(user=user)  # queued; its enqueue failed (or is on its way)
    now = timezone.now()
    assert sweep(now) == 0  # within the grace: the enqueue after commit may still be on its way
    later = now + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)
    assert sweep(later) == 1
    assert broker.names() == [f"process-chunk-{chunk.id}"]
    assert sweep(later) == 0  # in the broker's queue now: a long queue is not a lost job
    lost = later + timedelta(seconds=settings.JOB_RESEND_AFTER_S + 1)
    assert sweep(lost) == 1  # never started after that long: the broker lost it
    assert broker.names() == [f"process-chunk-{chunk.id}"] * 2


def test_it_sweeps_only_rows_waiting_for_a_job(user, broker, settings):
    later = timezone.now() + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)
    for status in (Chunk.Status.WAITING, Chunk.Status.DONE, Chunk.Status.FAILED, Chunk.Status.INDETERMINATE):
        ChunkFactory(user=user, status=status)
    ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=timezone.now(), next_attempt_at=later)
    assert sweep(later) == 0
    assert broker.jobs == []


def test_it_stops_a_sweep_at_the_first_refusal(user, broker, settings):
    ChunkFactory.create_batch(3, user=user)
    broker.down = True
    later = timezone.now() + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)
    assert sweep(later) == 0
    assert broker.refused == 1  # the broker is down: the next sweep sends them all
    broker.down = False
    assert sweep(later) == 3
    assert Chunk.objects.filter(enqueued_at=None).count() == 0


def test_it_processes_a_swept_chunk_once_however_often_it_is_delivered(user, broker, fake_engine, settings):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    later = timezone.now() + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)
    sweep(later)
    sweep(later + timedelta(seconds=settings.JOB_RESEND_AFTER_S + 1))  # a needless second send
    assert broker.run_all() == ["done", "skipped"]
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.segments_count) == (Chunk.Status.DONE, 1, 2)
    assert len(fake_engine.calls) == 1


# --- retries: within seconds first, then exponential, capped ------------------------------


def test_it_retries_a_failed_job_within_seconds_then_backs_off(user, broker, fake_engine, settings):
    settings.JOB_MAX_ATTEMPTS, settings.JOB_RETRY_BASE_S, settings.JOB_RETRY_MAX_S = 6, 10, 60
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    fake_engine.error = RuntimeError("the store timed out")
    delays = []
    for _ in range(5):
        with pytest.raises(RuntimeError):
            chunk_process(chunk_id=chunk.id)
        released_at = timezone.now()
        chunk.refresh_from_db()
        assert chunk.status == Chunk.Status.QUEUED
        retry = Schedule.objects.get(name=f"retry-chunk-{chunk.id}")  # one, replaced by each failure
        assert (retry.func, retry.args, retry.schedule_type) == ("chunks.tasks.process_chunk", str(chunk.id), "O")
        assert retry.next_run == chunk.next_attempt_at
        delays.append(round((chunk.next_attempt_at - released_at).total_seconds()))
    assert delays == [10, 20, 40, 60, 60]
    assert sweep(chunk.next_attempt_at + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)) == 0  # scheduled
    assert broker.jobs == []


def test_it_runs_a_retry_from_its_one_off_schedule(user, fake_engine, monkeypatch):
    from django_q.scheduler import scheduler

    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    fake_engine.error = RuntimeError("the store timed out")
    with pytest.raises(RuntimeError):
        chunk_process(chunk_id=chunk.id)
    fake_engine.error = None
    retry = Schedule.objects.get(name=f"retry-chunk-{chunk.id}")
    Schedule.objects.filter(id=retry.id).update(next_run=timezone.now() - timedelta(seconds=1))  # time passes
    monkeypatch.setattr(Conf, "SYNC", True)
    scheduler()
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (Chunk.Status.DONE, 2)
    task = Task.objects.get(name=f"process-chunk-{chunk.id}")
    assert (task.group, task.result) == ("process_chunk", "done")
    assert not Schedule.objects.filter(id=retry.id).exists()  # one-off


def test_it_sweeps_a_waiting_row_only_once_its_attempt_is_due(user, broker, settings):
    now = timezone.now()
    chunk = ChunkFactory(user=user, next_attempt_at=now + timedelta(seconds=300))
    assert sweep(now + timedelta(seconds=299)) == 0
    assert sweep(now + timedelta(seconds=300 + settings.JOB_ENQUEUE_GRACE_S + 1)) == 1
    assert broker.names() == [f"process-chunk-{chunk.id}"]


# --- a claim's lease: audio length × RTF + margin, not a fixed 12 minutes -------------------


def test_it_ties_a_claims_lease_to_the_length_of_its_audio(user, settings):
    settings.JOB_STALE_RTF, settings.JOB_STALE_MARGIN_S, settings.JOB_STALE_AFTER_S = 0.5, 120, 660
    minute = ChunkFactory(user=user, duration_ms=60_000)
    hour = ChunkFactory(user=user, duration_ms=3_600_000)
    leases = {}
    for chunk in (minute, hour):
        claimed_at = CHUNK_JOBS.claim(chunk.id)
        chunk.refresh_from_db()
        leases[chunk.id] = (chunk.next_attempt_at - claimed_at).total_seconds()
    assert leases == {minute.id: 150.0, hour.id: 660.0}  # 60 s × 0.5 + 120; capped at JOB_STALE_AFTER_S


def test_it_takes_over_a_killed_workers_claim_once_its_lease_ends(user, broker, fake_engine, settings):
    settings.JOB_STALE_RTF, settings.JOB_STALE_MARGIN_S = 0.5, 120
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user, duration_ms=60_000)
    claimed_at = CHUNK_JOBS.claim(chunk.id)  # ... and its worker is SIGKILLed
    assert sweep(claimed_at + timedelta(seconds=149)) == 0  # still within its lease: maybe only slow
    assert sweep(claimed_at + timedelta(seconds=151)) == 1  # 2.5 minutes, not 12
    chunk.refresh_from_db()
    assert (chunk.status, chunk.claimed_at) == (Chunk.Status.QUEUED, None)
    assert broker.run_all() == ["done"]
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (Chunk.Status.DONE, 2)


def test_it_keeps_the_job_timings_consistent(settings):
    """django-q2 kills a job after `timeout` and, on brokers with receipts, hands an unanswered
    one out again after `retry`: a claim older than JOB_STALE_AFTER_S was killed, and every lease
    (the longest chunk's too) ends before that redelivery."""
    timeout, retry = settings.Q_CLUSTER["timeout"], settings.Q_CLUSTER["retry"]
    assert timeout < settings.JOB_STALE_AFTER_S < retry
    longest = settings.JOB_STALE_MARGIN_S + settings.JOB_STALE_RTF * settings.MAX_CHUNK_SECONDS
    assert longest <= settings.JOB_STALE_AFTER_S
    assert 0 < settings.JOB_RETRY_BASE_S <= 30 and settings.JOB_RETRY_BASE_S <= settings.JOB_RETRY_MAX_S
    assert settings.JOB_ENQUEUE_GRACE_S < settings.JOB_RESEND_AFTER_S


# --- request ids: a job runs under the id of the request that queued it -------------------


def test_it_queues_a_job_under_the_current_request_id(user, broker, django_capture_on_commit_callbacks):
    chunk = ChunkFactory(user=user, request_id="upload-1")
    with request_id_bound("reprocess-2"), django_capture_on_commit_callbacks(execute=True):
        CHUNK_JOBS.enqueue_on_commit([chunk.id])
    assert broker.jobs[0][2]["request_id"] == "reprocess-2"


def test_it_sweeps_a_job_under_the_request_id_its_row_stored(user, broker, settings):
    chunk = ChunkFactory(user=user, request_id="upload-1")
    anonymous = ChunkFactory(user=user)
    sweep(timezone.now() + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1))
    kwargs = {args[0]: kwargs for _, args, kwargs in broker.jobs}
    assert kwargs[chunk.id]["request_id"] == "upload-1"
    assert "request_id" not in kwargs[anonymous.id]


def test_it_schedules_a_retry_under_the_jobs_request_id(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    fake_engine.error = RuntimeError("the store timed out")
    with request_id_bound("upload-1"), pytest.raises(RuntimeError):
        chunk_process(chunk_id=chunk.id)
    retry = Schedule.objects.get(name=f"retry-chunk-{chunk.id}")
    assert ast.literal_eval(retry.kwargs)["request_id"] == "upload-1"  # the scheduler passes it on


def test_a_queue_whose_task_takes_no_request_id_never_gets_one(user, broker, django_capture_on_commit_callbacks):
    queue = replace(CHUNK_JOBS, request_scoped=False)  # as webhooks.tasks.deliver_webhook
    chunk = ChunkFactory(user=user, request_id="upload-1")
    with request_id_bound("reprocess-2"), django_capture_on_commit_callbacks(execute=True):
        queue.enqueue_on_commit([chunk.id])
    queue.outbox.send([chunk.id])  # as a sweep
    assert [kwargs for _, _, kwargs in broker.jobs] == [
        {"task_name": f"process-chunk-{chunk.id}", "group": "process_chunk", "ack_failure": True}
    ] * 2
