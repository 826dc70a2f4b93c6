"""Faults around a chunk's job and upload (issue 4): a worker killed mid-chunk, workers racing
for one chunk, the database or the file store failing during a job or an upload, a chunk left
in `processing` by a worker that is gone.

The killed-worker tests run real `manage.py qcluster` subprocesses (tests/faults_support) on the
PostgreSQL test database and kill them with SIGKILL; they prove that the chunk is processed
exactly once afterwards, and which mechanism recovers it:

- the ORM broker (default) hands the unacknowledged job out again after Q_RETRY_S, and the
  redelivered job takes over the claim, which is stale by then (JOB_STALE_AFTER_S < Q_RETRY_S);
- a broker that loses a job in flight (Redis: BLPOP) never redelivers it; the scheduled sweep
  `chunks.tasks.requeue_stale_chunks` enqueues the chunk again once its claim is stale.
"""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ, Schedule, Task

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import chunk_ingest, chunk_reprocess
from selective_speaker.jobs import schedules_sync
from tests.audio_samples import wav_bytes
from tests.chunks.test_api import stored_files
from tests.factories import ChunkFactory, EnrollmentFactory
from tests.faults_support.cluster import FAST_JOBS, other_sessions, require_postgresql, start_cluster, wait_for
from tests.faults_support.storage import READ_FAULTS, WRITE_FAULTS, read_faults, write_faults
from utterances.models import Utterance

START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
EXPECTED_TEXTS = ["hello there friend", "see you at noon"]  # tests.conftest.FakeEngine's result


def upload(user, *, seed: int = 0) -> Chunk:
    chunk, created = chunk_ingest(
        user=user,
        audio_file=SimpleUploadedFile("clip.wav", wav_bytes(1.0, seed=seed)),
        device_id="phone-1",
        start_ts=START,
    )
    assert created
    return chunk


def assert_processed_once(chunk: Chunk, *, attempts: int) -> None:
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.error) == (Chunk.Status.DONE, attempts, "")
    texts = list(Utterance.objects.filter(chunk=chunk).order_by("start_ms").values_list("text", flat=True))
    assert texts == EXPECTED_TEXTS  # one set of segments: nothing doubled, nothing lost
    assert chunk.segments_count == len(EXPECTED_TEXTS)


# --- a worker killed mid-chunk: real qcluster subprocesses --------------------------------


@pytest.fixture
def clusters(transactional_db, tmp_path):
    """clusters(engine, env) starts a qcluster subprocess; all are killed after the test."""
    require_postgresql()
    started = []

    def start(engine: str, env: dict[str, str] | None = None):
        cluster = start_cluster(tmp_path / "q", engine=engine, env=env)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.kill()
    # the killed processes' sessions must be gone before the tables are flushed
    wait_for(lambda: other_sessions() == 0, timeout=20, what="the workers' database sessions to close")


def kill_mid_chunk(clusters, chunk: Chunk, env: dict[str, str]):
    """Start a cluster whose engine blocks, wait until the chunk's job is inside the engine,
    then SIGKILL the whole cluster."""
    first = clusters("block", env)
    wait_for(first.engine_calls, timeout=60, what="the first worker to reach the engine", details=first.log_tail)
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (Chunk.Status.PROCESSING, 1)
    first.kill()
    assert len(first.engine_calls()) == 1
    return first


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_processes_a_chunk_once_after_its_worker_is_killed_the_broker_redelivers(clusters, user):
    EnrollmentFactory(user=user)
    chunk = upload(user)
    job = OrmQ.objects.get()
    assert job.name() == f"process-chunk-{chunk.id}"
    no_schedules = {"FAULTS_SCHEDULER": "off"}  # nothing but the broker may recover it

    kill_mid_chunk(clusters, chunk, no_schedules)
    job.refresh_from_db()  # still in the broker, never acknowledged: locked until Q_RETRY_S after its delivery

    second = clusters("answer", no_schedules)
    task = wait_for(
        lambda: Task.objects.filter(id=job.task_id()).first(),
        timeout=60,
        what="the redelivered job to finish",
        details=second.log_tail,
    )
    assert (task.success, task.result, task.attempt_count) == (True, "done", 1), second.log_tail()
    assert_processed_once(chunk, attempts=2)  # the killed claim counts as an attempt
    assert len(second.engine_calls()) == 1
    wait_for(lambda: not OrmQ.objects.exists(), timeout=10, what="the job's acknowledgement")


@pytest.fixture(params=["orm", "redis"])
def lossy_broker(request, monkeypatch, settings):
    """A broker that has lost the killed worker's job: Redis (BLPOP takes a job off the list
    for good) when REDIS_URL_FOR_TESTS is set, or the ORM broker with the job deleted.
    Yields (env for the clusters, broker for this process, forget the job in flight)."""
    if request.param == "orm":
        yield {}, None, lambda: OrmQ.objects.all().delete()
        return
    url = os.environ.get("REDIS_URL_FOR_TESTS")
    if not url:
        pytest.skip("set REDIS_URL_FOR_TESTS (a Redis database the tests may use) to run this with the Redis broker")
    from django_q.brokers import redis_broker
    from django_q.conf import Conf

    name = f"faults-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(Conf, "REDIS", url)
    # a queue of its own; jobs are signed with the cluster name as salt
    monkeypatch.setattr(Conf, "PREFIX", name)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    broker = redis_broker.Redis(list_key=name)
    monkeypatch.setattr("django_q.tasks.get_broker", lambda list_key=None: broker)
    yield {"REDIS_URL": url, "Q_CLUSTER_NAME": name}, broker, lambda: None
    broker.delete_queue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_processes_a_chunk_once_after_its_worker_is_killed_the_sweep_requeues(clusters, user, lossy_broker):
    from django_q.scheduler import scheduler

    env, broker, forget_job_in_flight = lossy_broker
    env = {**env, "FAULTS_SCHEDULER": "off"}  # the sweep runs when this test calls the scheduler
    EnrollmentFactory(user=user)
    chunk = upload(user)

    kill_mid_chunk(clusters, chunk, env)
    forget_job_in_flight()
    assert not OrmQ.objects.exists() and (broker is None or broker.queue_size() == 0)

    second = clusters("answer", env)
    stale_after = float(FAST_JOBS["JOB_STALE_AFTER_S"])
    wait_for(
        lambda: (timezone.now() - Chunk.objects.get(id=chunk.id).claimed_at).total_seconds() > stale_after,
        timeout=30,
        what="the killed worker's claim to become stale",
    )
    # Earlier transactional tests flush every table, the schedules too: write them again, as
    # every migrate does.
    schedules_sync()
    sweep = Schedule.objects.get(name="chunks.requeue_stale_chunks")
    assert sweep.next_run < timezone.now()  # due: scheduled after migrate
    scheduler(broker=broker)  # what the cluster's guard does every 30 s

    def finished():
        return Task.objects.filter(name=f"process-chunk-{chunk.id}").first()

    task = wait_for(finished, timeout=60, what="the requeued job to finish", details=second.log_tail)
    assert (task.success, task.result) == (True, "done"), second.log_tail()
    assert Task.objects.get(group=sweep.name).result == 1  # the sweep enqueued this chunk
    assert_processed_once(chunk, attempts=2)
    assert len(second.engine_calls()) == 1


# --- workers racing for one chunk ---------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_lets_one_of_many_concurrent_deliveries_process_a_chunk(user, fake_engine):
    require_postgresql("real row locks between concurrent connections; SQLite's in-memory test database is one")
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    workers = 8
    start_together = threading.Barrier(workers)

    def deliver(_):
        try:
            start_together.wait(timeout=30)
            return chunk_process(chunk_id=chunk.id)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(deliver, range(workers)))
    assert sum(result is not None for result in results) == 1
    assert len(fake_engine.calls) == 1
    assert_processed_once(chunk, attempts=1)

    start_together.reset()
    with ThreadPoolExecutor(workers) as pool:  # deliveries of the job after it is done
        assert list(pool.map(deliver, range(workers))) == [None] * workers
    assert len(fake_engine.calls) == 1
    assert_processed_once(chunk, attempts=1)


# --- the database fails during a job ------------------------------------------------------


def storing_fails_with_an_error(monkeypatch):
    def broken_bulk_create(*args, **kwargs):
        raise OperationalError("could not write block: No space left on device")

    monkeypatch.setattr(Utterance.objects, "bulk_create", broken_bulk_create)


def storing_loses_the_connection(monkeypatch):
    """The server ends the job's session in the middle of its transaction (failover, restart)."""
    require_postgresql("the server terminates the job's session (pg_terminate_backend)")
    real_bulk_create = Utterance.objects.bulk_create
    db = connection.settings_dict

    def terminate_then_store(*args, **kwargs):
        pid = connection.connection.info.backend_pid
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or None, user=db["USER"], password=db["PASSWORD"] or None,
            dbname=db["NAME"], autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        return real_bulk_create(*args, **kwargs)

    monkeypatch.setattr(Utterance.objects, "bulk_create", terminate_then_store)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("database_fault", [storing_fails_with_an_error, storing_loses_the_connection])
def test_it_fails_a_chunk_after_bounded_database_errors_and_reprocess_recovers_it(
    user, fake_engine, monkeypatch, settings, database_fault
):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    chunk_process(chunk_id=chunk.id)  # an earlier result
    assert chunk_reprocess(chunks=[chunk]) == 1

    with monkeypatch.context() as m:
        database_fault(m)
        for attempt in range(1, settings.JOB_MAX_ATTEMPTS):
            with pytest.raises(OperationalError):  # django-q2 delivers the job again
                chunk_process(chunk_id=chunk.id)
            chunk.refresh_from_db()
            assert (chunk.status, chunk.attempts) == (Chunk.Status.QUEUED, attempt)
        assert chunk_process(chunk_id=chunk.id) is not None  # the last attempt ends the job
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.FAILED
    assert chunk.error.startswith(f"gave up after {settings.JOB_MAX_ATTEMPTS} attempts: OperationalError")
    texts = list(Utterance.objects.filter(chunk=chunk).order_by("start_ms").values_list("text", flat=True))
    assert texts == EXPECTED_TEXTS  # every failed store rolled back: the earlier result is intact

    assert chunk_reprocess(chunks=[chunk]) == 1  # the staff action
    chunk_process(chunk_id=chunk.id)
    assert_processed_once(chunk, attempts=1)


# --- the file store fails during a job ----------------------------------------------------


@read_faults
def test_it_fails_a_chunk_after_bounded_storage_errors_and_reprocess_recovers_it(
    user, fake_engine, monkeypatch, settings, read_fault
):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    with monkeypatch.context() as m:
        READ_FAULTS[read_fault](m)
        for attempt in range(1, settings.JOB_MAX_ATTEMPTS):
            with pytest.raises(Exception):  # noqa: B017 - the store's own error, re-raised for a retry
                chunk_process(chunk_id=chunk.id)
            chunk.refresh_from_db()
            assert (chunk.status, chunk.attempts) == (Chunk.Status.QUEUED, attempt)
        chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.FAILED
    assert chunk.error.startswith(f"gave up after {settings.JOB_MAX_ATTEMPTS} attempts:")
    assert fake_engine.calls == []  # never got as far as the engine
    assert chunk.audio.storage.exists(chunk.audio.name)  # an outage deletes nothing

    assert chunk_reprocess(chunks=[chunk]) == 1
    chunk_process(chunk_id=chunk.id)
    assert_processed_once(chunk, attempts=1)


# --- the file store or the database fails during an upload --------------------------------


def post_chunk(api, seed: int = 7):
    audio = SimpleUploadedFile("clip.wav", wav_bytes(1.0, seed=seed), content_type="audio/wav")
    data = {"audio": audio, "device_id": "phone-1", "start_ts": "2024-05-01T09:30:00Z"}
    return api.post("/api/v1/chunks/", data, format="multipart")


def assert_retryable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "unavailable"


@write_faults
def test_it_answers_a_chunk_upload_with_a_retryable_503_when_storage_fails(
    api, user, media_root, monkeypatch, write_fault
):
    with monkeypatch.context() as m:
        WRITE_FAULTS[write_fault](m)
        assert_retryable(post_chunk(api))
    assert Chunk.objects.count() == 0
    assert stored_files(media_root) == []  # not even part of a file

    retried = post_chunk(api)  # the client's retry, once the store is back
    assert retried.status_code == 202
    assert Chunk.objects.count() == 1 and len(stored_files(media_root)) == 1


def test_it_answers_a_chunk_upload_with_a_retryable_503_when_the_database_fails(
    api, user, media_root, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as m:
        m.setattr(Chunk, "save", refuse)
        assert_retryable(post_chunk(api))
    assert Chunk.objects.count() == 0
    assert stored_files(media_root) == []
    assert post_chunk(api).status_code == 202


# --- a chunk stuck in `processing`: the scheduled sweep -----------------------------------


def test_it_recovers_a_stuck_chunk_through_its_schedule(
    user, fake_engine, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The migration's schedule runs the sweep; the sweep's job is processed by django-q2's
    own worker code (sync mode) — the in-process twin of the killed-worker tests above."""
    from django_q.conf import Conf
    from django_q.scheduler import scheduler

    schedule = Schedule.objects.get(name="chunks.requeue_stale_chunks")
    assert callable(import_string(schedule.func))
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)
    assert settings.JOB_STALE_AFTER_S > settings.Q_CLUSTER["timeout"]  # a running job is never stale
    assert settings.Q_CLUSTER["retry"] > settings.JOB_STALE_AFTER_S  # a redelivered one always finds it stale

    EnrollmentFactory(user=user)
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_S + 1)
    stuck = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=long_ago, attempts=1)
    running = ChunkFactory(user=user, status=Chunk.Status.PROCESSING, claimed_at=timezone.now(), attempts=1)
    monkeypatch.setattr(Conf, "SYNC", True)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler()
    assert Task.objects.get(group=schedule.name).result == 1
    assert_processed_once(stuck, attempts=2)
    running.refresh_from_db()
    assert (running.status, running.attempts) == (Chunk.Status.PROCESSING, 1)  # left to its worker
