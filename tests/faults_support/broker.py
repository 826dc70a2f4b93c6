"""A job broker that the tests can stop: a stand-in for django-q2's `async_task`, and a real
Redis broker pointed at a closed port (what an upload meets while Redis is down)."""

from __future__ import annotations

import socket

import redis
from django.utils.module_loading import import_string


class FakeBroker:
    """Records the jobs handed to it; while `down`, refuses them as a stopped Redis does."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple, dict]] = []
        self.down = False
        self.refused = 0

    def __call__(self, func: str, *args, **kwargs) -> str:
        if self.down:
            self.refused += 1
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.jobs.append((func, args, kwargs))
        return f"task-{len(self.jobs)}"

    def names(self) -> list[str]:
        return [kwargs.get("task_name") for _, _, kwargs in self.jobs]

    def run_all(self) -> list:
        """Deliver every job taken so far, as a worker would; returns their results."""
        jobs, self.jobs = self.jobs, []
        return [import_string(func)(*args) for func, args, _ in jobs]


def patch_broker(monkeypatch) -> FakeBroker:
    broker = FakeBroker()
    monkeypatch.setattr("selective_speaker.jobs.async_task", broker)
    return broker


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_broker_down(monkeypatch) -> None:
    """django-q2's own Redis broker, on a port where nothing listens: enqueueing raises."""
    from django_q.brokers import redis_broker
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "REDIS", f"redis://127.0.0.1:{closed_port()}/0")
    broker = redis_broker.Redis(list_key="broker-down")
    monkeypatch.setattr("django_q.tasks.get_broker", lambda list_key=None: broker)
