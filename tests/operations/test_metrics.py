"""GET /metrics: guarded by METRICS_TOKEN, parses as Prometheus text, and its values follow the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from chunks.models import Chunk
from enrollment.models import Enrollment
from tests.factories import ChunkFactory, EnrollmentFactory, UserFactory

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_WINDOW_S = 900


def scrape(client) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_it_is_not_there_without_a_token_configured(db, client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_it_needs_the_bearer_token_not_a_session(db, client, metrics_on):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN}):
        response = client.get("/metrics", **header)
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_it_follows_the_queue(db, client, metrics_on, user):
    now = timezone.now()
    old = ChunkFactory(user=user, status="queued")  # uploaded first: ids grow with upload time
    Chunk.objects.filter(id=old.id).update(created_at=now - timedelta(minutes=30))
    for status in ("queued", "queued", "waiting", "done", "failed"):
        ChunkFactory(user=user, status=status, error="gave up after 3 attempts: x" if status == "failed" else "")
    lease_over = {"claimed_at": now - timedelta(hours=1), "next_attempt_at": now - timedelta(minutes=1)}
    ChunkFactory(user=user, status="processing", **lease_over)
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error_code="too_quiet")
    samples = scrape(client)
    assert samples[("selective_speaker_jobs", (("job", "chunk"), ("status", "queued")))] == 3
    assert samples[("selective_speaker_jobs", (("job", "chunk"), ("status", "indeterminate")))] == 0
    assert ("selective_speaker_jobs", (("job", "chunk"), ("status", "done"))) not in samples  # reads every chunk
    assert samples[("selective_speaker_jobs", (("job", "enrollment"), ("status", "rejected")))] == 1
    oldest = samples[("selective_speaker_job_oldest_pending_seconds", (("job", "chunk"), ("status", "queued")))]
    assert 30 * 60 <= oldest < 31 * 60
    assert samples[("selective_speaker_jobs_stuck", (("job", "chunk"),))] == 1
    assert samples[("selective_speaker_jobs_stuck", (("job", "enrollment"),))] == 0
    assert samples[("selective_speaker_chunk_failures", (("reason", "gave_up"),))] == 1
    assert samples[("selective_speaker_chunk_failures", (("reason", "unprocessable"),))] == 0
    assert samples[("selective_speaker_enrollment_rejections", (("code", "too_quiet"),))] == 1
    assert samples[("selective_speaker_chunk_uploads_window", ())] == 6  # not the one uploaded 30 minutes ago


def test_its_latency_histograms_follow_the_processed_chunks(db, client, metrics_on, user):
    now = timezone.now()
    # one minute of audio: 40 s in the queue, 3 s of processing (RTF 0.05); 10 minutes: 5 s, 12 s (0.02)
    for duration_ms, wait_s, took_s in ((60_000, 40, 3), (600_000, 5, 12)):
        claimed_at = now - timedelta(seconds=100)
        processed_at = claimed_at + timedelta(seconds=took_s)
        chunk = ChunkFactory(
            user=user, status="done", duration_ms=duration_ms, claimed_at=claimed_at, processed_at=processed_at
        )
        Chunk.objects.filter(id=chunk.id).update(created_at=claimed_at - timedelta(seconds=wait_s))
    ChunkFactory(user=user, status="done", claimed_at=now - timedelta(hours=1), processed_at=now - timedelta(hours=1))
    samples = scrape(client)

    def bucket(name, le):
        return samples[(f"selective_speaker_{name}_bucket", (("le", le),))]

    assert samples[("selective_speaker_metrics_window_seconds", ())] == 900
    assert (bucket("chunk_queue_wait_seconds", "5.0"), bucket("chunk_queue_wait_seconds", "60.0")) == (1, 2)
    assert (bucket("chunk_processing_seconds", "5.0"), bucket("chunk_processing_seconds", "30.0")) == (1, 2)
    assert (bucket("chunk_rtf", "0.02"), bucket("chunk_rtf", "0.05"), bucket("chunk_rtf", "+Inf")) == (1, 2, 2)
    assert samples[("selective_speaker_chunk_processing_seconds_gcount", ())] == 2
    assert samples[("selective_speaker_chunk_processing_seconds_gsum", ())] == pytest.approx(15)


def test_a_batched_chunk_counts_its_own_share_of_the_engine_time_not_the_whole_batch(db, client, metrics_on, user):
    # claimed with five others: claim → stored spans the batch (60 s); the engine's record of
    # this chunk's own time (its share of the one recogniser pass) is 1.5 s for 30 s of audio
    claimed_at = timezone.now() - timedelta(seconds=100)
    ChunkFactory(
        user=user,
        status="done",
        duration_ms=30_000,
        claimed_at=claimed_at,
        processed_at=claimed_at + timedelta(seconds=60),
        timings={"total": 1.5, "asr": 0.6},
    )
    samples = scrape(client)
    assert samples[("selective_speaker_chunk_processing_seconds_gsum", ())] == pytest.approx(1.5)
    assert samples[("selective_speaker_chunk_rtf_bucket", (("le", "0.05"),))] == 1  # 0.05, not 2.0


def test_it_speaks_openmetrics_to_a_prometheus_that_asks(db, client, metrics_on, user):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families

    ChunkFactory(user=user, status="done", claimed_at=timezone.now(), processed_at=timezone.now())
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_ACCEPT=accept)
    assert response["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    families = {family.name: family for family in openmetrics_families(response.content.decode())}
    assert families["selective_speaker_chunk_rtf"].type == "gaugehistogram"
    assert families["selective_speaker_jobs"].type == "gauge"


def test_it_reads_the_same_values_in_every_process(db, client, metrics_on, user):
    """Nothing is counted in a process: a second registry (another gunicorn worker) scrapes the same."""
    from prometheus_client import CollectorRegistry, generate_latest

    from operations.metrics import REGISTRY, JobMetricsCollector

    ChunkFactory(user=user, status="queued")
    other = CollectorRegistry(auto_describe=False)
    other.register(JobMetricsCollector())
    first, second = generate_latest(REGISTRY), generate_latest(other)
    strip = lambda text: [line for line in text.decode().splitlines() if "oldest_pending" not in line]  # noqa: E731
    assert strip(first) == strip(second)


def test_it_answers_503_when_the_database_does_not(db, client, metrics_on, monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr("operations.metrics.chunk_failure_counts", down)
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 503 and response["Retry-After"] == "10"


def test_it_reports_the_worker_clusters_the_broker_sees(db, client, metrics_on, monkeypatch):
    from operations.queue_report import ClusterSeen

    seen = [ClusterSeen("a", "host-1", "Idle", 2, 60.0), ClusterSeen("b", "host-2", "Working", 4, 5.0)]
    monkeypatch.setattr("operations.metrics.clusters_seen", lambda: seen)
    samples = scrape(client)
    assert samples[("selective_speaker_worker_clusters", ())] == 2
    assert samples[("selective_speaker_worker_processes", ())] == 6
    monkeypatch.setattr("operations.metrics.clusters_seen", lambda: None)  # unknown: no sample, not a zero
    assert ("selective_speaker_worker_clusters", ()) not in scrape(client)
