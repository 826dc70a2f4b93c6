"""End-to-end fixtures: the queue is drained by django-q2's own worker loop, in this process."""

from __future__ import annotations

import multiprocessing
import queue

import pytest


def run_queued_jobs(max_rounds: int = 10) -> list[dict]:
    """Run every job waiting in the broker with django-q2's `worker`, until none is left.

    The jobs were enqueued by the services (on commit) exactly as in production; this runs
    them the way `manage.py qcluster` does (dequeue, unsign, execute, acknowledge), minus the
    extra processes. Returns the finished task records.
    """
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage
    from django_q.worker import worker

    broker = get_broker()
    finished: list[dict] = []
    for _ in range(max_rounds):
        packages = broker.dequeue() or []
        if not packages:
            break
        for ack_id, payload in packages:
            task = SignedPackage.loads(payload)
            tasks, results = queue.Queue(), queue.Queue()
            tasks.put(task)
            tasks.put("STOP")
            worker(tasks, results, multiprocessing.Value("f", -1), timeout=-1)
            finished.append(results.get_nowait())
            broker.acknowledge(ack_id)
    return finished


@pytest.fixture
def drain_jobs(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "poll": 0.05}
    return run_queued_jobs
