"""operations/queue_report.py: the queue's state from the selectors, and the clusters the broker sees."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from chunks.models import Chunk
from operations import queue_report
from operations.queue_report import clusters_seen, queue_state
from tests.factories import ChunkFactory


def test_it_reports_counts_ages_and_stuck_ids_per_job(db, user, monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(queue_report, "STUCK_IDS_SHOWN", 2)
    stuck = [
        ChunkFactory(user=user, status="processing", claimed_at=now - timedelta(minutes=m), next_attempt_at=now)
        for m in (30, 20, 10)
    ]
    queued = ChunkFactory(user=user, status="queued")
    Chunk.objects.filter(id=queued.id).update(created_at=now - timedelta(seconds=75))
    chunks, enrollments = queue_state(now=now + timedelta(seconds=1))
    assert (chunks.job, enrollments.job) == ("chunk", "enrollment")
    assert chunks.counts["processing"] == 3 and chunks.counts["queued"] == 1
    assert chunks.stuck_count == 3 and chunks.stuck_ids == [stuck[0].id, stuck[1].id]  # longest held first
    assert 76 <= chunks.oldest_age_s["queued"] < 80
    assert enrollments.stuck_count == 0 and enrollments.oldest_age_s == {}
    assert "done" not in queue_state(now=now, chunk_done=False)[0].counts


def test_it_lists_the_clusters_in_the_brokers_statistics(monkeypatch):
    tob = timezone.now() - timedelta(minutes=5)
    up = {"tob": tob, "uptime": lambda: 300.0}
    stats = [
        SimpleNamespace(cluster_id="b", host="worker-2", status="Working", workers=[11, 12, 13], **up),
        SimpleNamespace(cluster_id="a", host="worker-1", status="Idle", workers=[1, 2], **up),
    ]
    monkeypatch.setattr("django_q.status.Stat.get_all", staticmethod(lambda broker=None: stats))
    seen = clusters_seen()
    assert [(c.host, c.workers, c.status, c.uptime_s) for c in seen] == [
        ("worker-1", 2, "Idle", 300.0),
        ("worker-2", 3, "Working", 300.0),
    ]


def test_it_says_unknown_when_the_statistics_cannot_be_read(monkeypatch):
    def down(broker=None):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("django_q.status.Stat.get_all", staticmethod(down))
    assert clusters_seen() is None
