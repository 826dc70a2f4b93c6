"""The books after a fault test's stream of uploads (tests/chaos, tests/multihost): playing the
scheduler and the sweep until the work is done, and what the workers stored and reported."""

from __future__ import annotations

import time
from collections import Counter

from chunks.models import Chunk
from chunks.services import chunk_requeue_stale


def drain(accepted: set[int], broker, timeout: float = 90) -> dict[str, int]:
    """Run the scheduler (due retries) and the sweep until every accepted chunk is finished;
    returns the chunks' statuses."""
    from django_q.scheduler import scheduler

    deadline = time.monotonic() + timeout
    finished = {Chunk.Status.DONE, Chunk.Status.FAILED, Chunk.Status.INDETERMINATE}
    while True:
        scheduler(broker=broker)
        chunk_requeue_stale()
        statuses = dict(Chunk.objects.filter(id__in=accepted).values_list("id", "status"))
        if set(statuses.values()) <= finished or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)


def stored_files(media_root) -> set[str]:
    return {p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file()}


def failed_jobs() -> int:
    """Chunk jobs that ended in an error (as far as the workers could report it)."""
    from django_q.models import Task

    return Task.objects.filter(name__startswith="process-chunk-", success=False).count()


def done_reports_per_chunk() -> Counter:
    """How many django-q2 jobs reported `done` for each chunk (results the workers could save)."""
    from django_q.models import Task

    tasks = Task.objects.filter(name__startswith="process-chunk-", success=True)
    return Counter(task.name for task in tasks if task.result == Chunk.Status.DONE)
