"""The Prometheus endpoint, `GET /metrics`: the job queue and the processing of chunks, read from
the database at scrape time.

Every value is computed by a custom collector from the apps' selectors when Prometheus scrapes —
no counter lives in a process — so the answer is the same whichever gunicorn worker or web host
serves it, and jobs that ran on any worker host are in it. (django-prometheus counts requests
and queries per process, which several gunicorn workers and hosts would each report partly;
prometheus-client with our own collector is enough for values that live in the database.)

Guarded by METRICS_TOKEN: unset → 404 (the endpoint does not exist); set → `Authorization:
Bearer <token>` is required (401 otherwise). Never behind the user session.

Chunks by status leave out `done` (every chunk ever processed: counting them reads them all, 0.3 s
at 500,000 on PostgreSQL, at every scrape); the processed chunks per window are the histograms'
`_gcount`. Over the last METRICS_WINDOW_S seconds (a gauge histogram each: the distribution of
the chunks in the window, not a counter): queue wait (upload → the claim that finished it), processing
time (the engine's time for the chunk, its own share when short chunks shared a recogniser pass;
claim → stored in older records) and real-time factor (processing time / audio length) of
processed chunks, and the uploads accepted.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from chunks.selectors import chunk_failure_counts, chunk_processed_since, chunk_uploaded_count
from enrollment.selectors import enrollment_rejection_counts
from operations.queue_report import clusters_seen, queue_state

log = logging.getLogger(__name__)

PREFIX = "selective_speaker"
# Upper bounds of the histograms' buckets (+Inf is added).
QUEUE_WAIT_BUCKETS_S = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
PROCESSING_BUCKETS_S = (1, 2, 5, 10, 30, 60, 120, 300, 600)
RTF_BUCKETS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
# Every metric's HELP text, by name without the prefix.
HELP = {
    "jobs": "Rows per job and status (queued, waiting, pending, processing: the queue); no done chunks.",
    "job_oldest_pending_seconds": "Age of the oldest row in each pending status, since its upload.",
    "jobs_stuck": "Rows processing under a claim past its lease (worker gone; the sweep takes them over).",
    "chunk_failures": "Failed chunks by reason (gave_up, audio_missing, unprocessable).",
    "enrollment_rejections": "Rejected enrollments by rejection code.",
    "metrics_window_seconds": "The window of the chunk histograms and of the uploads (METRICS_WINDOW_S).",
    "chunk_queue_wait_seconds": "Chunks processed in the window: upload to the claim that finished them.",
    "chunk_processing_seconds": "Chunks processed in the window: the engine's time for each (its share of a batch).",
    "chunk_rtf": "Chunks processed in the window: processing time over audio length.",
    "chunk_uploads_window": "Chunks uploaded (accepted) in the window.",
    "worker_clusters": "django-q2 worker clusters reporting to the broker (others' only with REDIS_URL).",
    "worker_processes": "Worker processes of those clusters.",
}


def gauge(name: str, labels: tuple[str, ...] = (), value: float | None = None) -> GaugeMetricFamily:
    if value is not None:
        return GaugeMetricFamily(f"{PREFIX}_{name}", HELP[name], value=value)
    return GaugeMetricFamily(f"{PREFIX}_{name}", HELP[name], labels=list(labels))


def gauge_histogram(name: str, values: list[float], bounds) -> GaugeHistogramMetricFamily:
    """Cumulative buckets of `values` (every bound, then +Inf), with their count and sum."""
    buckets = [(str(float(b)), sum(1 for v in values if v <= b)) for b in bounds] + [("+Inf", len(values))]
    return GaugeHistogramMetricFamily(f"{PREFIX}_{name}", HELP[name], buckets=buckets, gsum_value=sum(values))


class JobMetricsCollector(Collector):
    """Queue, latency, failure and upload metrics, read from the database at each scrape."""

    def collect(self):
        now = timezone.now()
        window_s = settings.METRICS_WINDOW_S
        since = now - timedelta(seconds=window_s)
        yield from self._queues(now)
        yield from self._failures()
        yield from self._processed(since, window_s)
        yield from self._clusters()

    def _queues(self, now):
        rows = gauge("jobs", ("job", "status"))
        oldest = gauge("job_oldest_pending_seconds", ("job", "status"))
        stuck = gauge("jobs_stuck", ("job",))
        for state in queue_state(now=now, chunk_done=False):  # done: every chunk ever (see the docstring)
            for status, count in state.counts.items():
                rows.add_metric([state.job, status], count)
            for status, age in state.oldest_age_s.items():
                oldest.add_metric([state.job, status], age)
            stuck.add_metric([state.job], state.stuck_count)
        yield from (rows, oldest, stuck)

    def _failures(self):
        failures = gauge("chunk_failures", ("reason",))
        for reason, count in chunk_failure_counts().items():
            failures.add_metric([reason], count)
        rejections = gauge("enrollment_rejections", ("code",))
        for code, count in enrollment_rejection_counts().items():
            rejections.add_metric([code], count)
        yield from (failures, rejections)

    def _processed(self, since, window_s: int):
        waits, times, rtfs = [], [], []
        for created_at, claimed_at, processed_at, duration_ms, engine_s in chunk_processed_since(since=since):
            waits.append(max((claimed_at - created_at).total_seconds(), 0.0))
            if isinstance(engine_s, int | float):  # its own share, batched or not
                took = max(float(engine_s), 0.0)
            else:
                took = max((processed_at - claimed_at).total_seconds(), 0.0)
            times.append(took)
            if duration_ms:
                rtfs.append(took / (duration_ms / 1000))
        yield gauge("metrics_window_seconds", value=window_s)
        yield gauge_histogram("chunk_queue_wait_seconds", waits, QUEUE_WAIT_BUCKETS_S)
        yield gauge_histogram("chunk_processing_seconds", times, PROCESSING_BUCKETS_S)
        yield gauge_histogram("chunk_rtf", rtfs, RTF_BUCKETS)
        yield gauge("chunk_uploads_window", value=chunk_uploaded_count(since=since))

    def _clusters(self):
        seen = clusters_seen()
        if seen is None:  # unknown: no sample rather than a false zero
            return
        yield gauge("worker_clusters", value=len(seen))
        yield gauge("worker_processes", value=sum(c.workers for c in seen))


REGISTRY = CollectorRegistry(auto_describe=False)  # nothing per process: only the database's values
REGISTRY.register(JobMetricsCollector())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off (METRICS_TOKEN is not set)")
    if not constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}"):
        response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # the format Prometheus asks for: OpenMetrics (gauge histograms native) or the classic text format
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    try:
        body = encode(REGISTRY)
    except DatabaseError as exc:
        log.warning("metrics: the database did not answer: %s", exc)
        response = HttpResponse("the database did not answer\n", status=503, content_type="text/plain")
        response["Retry-After"] = "10"
        return response
    return HttpResponse(body, content_type=content_type)
