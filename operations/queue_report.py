"""The state of the job queue, read from the database and the broker: what `manage.py status`
prints and what `/metrics` exports (the same numbers, from the same selectors)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from chunks.models import Chunk
from chunks.selectors import chunk_oldest_pending, chunk_status_counts, chunk_stuck
from enrollment.selectors import enrollment_oldest_pending, enrollment_status_counts, enrollment_stuck

log = logging.getLogger(__name__)

# Stuck rows listed by id, at most (their count is always whole).
STUCK_IDS_SHOWN = 20


@dataclass(frozen=True)
class JobQueueState:
    """One kind of job (chunk, enrollment): rows per status, the age in seconds of the oldest row
    in each pending status, and the rows whose claim is past its lease (worker gone)."""

    job: str
    counts: dict[str, int]
    oldest_age_s: dict[str, float]
    stuck_count: int
    stuck_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ClusterSeen:
    """A django-q2 worker cluster that reported itself to the broker in the last few seconds."""

    cluster_id: str
    host: str
    status: str
    workers: int
    uptime_s: float | None


def _state(job: str, counts: dict, oldest: dict, stuck, now: datetime) -> JobQueueState:
    stuck_count = stuck.count()
    stuck_ids = list(stuck.values_list("id", flat=True)[:STUCK_IDS_SHOWN]) if stuck_count else []
    ages = {status: max((now - created).total_seconds(), 0.0) for status, created in oldest.items()}
    return JobQueueState(job, counts, ages, stuck_count, stuck_ids)


def queue_state(*, now: datetime, chunk_done: bool = True) -> list[JobQueueState]:
    """The chunk and enrollment queues as the database holds them now; without chunk_done, the
    count of `done` chunks (every chunk ever processed: the one count that reads them all) is left out."""
    statuses = tuple(s for s in Chunk.Status.values if chunk_done or s != Chunk.Status.DONE)
    return [
        _state("chunk", chunk_status_counts(statuses=statuses), chunk_oldest_pending(), chunk_stuck(now=now), now),
        _state("enrollment", enrollment_status_counts(), enrollment_oldest_pending(), enrollment_stuck(now=now), now),
    ]


def clusters_seen() -> list[ClusterSeen] | None:
    """The worker clusters django-q2's statistics show (each cluster writes its own every few
    seconds, with a time-to-live of 3 s, where the broker's cache is: Redis with REDIS_URL). None
    when they cannot be read; without Redis each cluster keeps them in its own memory, so another
    process sees none."""
    from django_q.status import Stat

    try:
        stats = Stat.get_all()
    except Exception as exc:  # the broker's cache is down: unknown, not zero
        log.warning("worker cluster statistics cannot be read: %s", exc)
        return None
    seen = []
    for stat in stats:
        uptime = stat.uptime() if getattr(stat, "tob", None) else None
        workers = len(getattr(stat, "workers", []) or [])
        seen.append(ClusterSeen(str(stat.cluster_id), stat.host, str(stat.status), workers, uptime))
    return sorted(seen, key=lambda c: (c.host, c.cluster_id))
