"""Run `manage.py qcluster` (tests/faults_support/worker.py) against the test database.

A subprocess cannot see pytest's transaction, so the tests that use it run with
`transactional_db` (rows are committed) on PostgreSQL, whose test database another process
can open by name; the in-memory SQLite test database cannot be shared.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Production's ordering, scaled down: a job is killed after Q_TIMEOUT_S, its claim counts as
# stale after JOB_STALE_AFTER_S, the broker hands an unacknowledged job out again after Q_RETRY_S.
FAST_JOBS = {"Q_TIMEOUT_S": "4", "JOB_STALE_AFTER_S": "5", "Q_RETRY_S": "6"}


SUBPROCESS_NEEDS_POSTGRESQL = (
    "the worker subprocess must open the test database, and SQLite's test database lives in this process's memory"
)


def require_postgresql(why: str = SUBPROCESS_NEEDS_POSTGRESQL) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL (DATABASE_URL; CI runs it): {why}")


WORKER_APPLICATION_NAME = "selective-speaker-fault-worker"


def subprocess_database_url() -> str:
    """The test database that pytest-django created, as a DATABASE_URL for a subprocess."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    name = quote(db["NAME"], safe="")
    return f"postgres://{credentials}@{host}{port}/{name}?application_name={WORKER_APPLICATION_NAME}"


def wait_for(condition: Callable[[], T], *, timeout: float, what: str, details: Callable[[], str] = str) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{details()}", pytrace=False)
        time.sleep(0.05)


@dataclass
class WorkerCluster:
    """A qcluster subprocess in its own process group (the cluster, its sentinel, pusher,
    monitor and workers)."""

    process: subprocess.Popen
    log: Path
    calls: Path

    def engine_calls(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "--- worker log ---\n" + "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL every process of the cluster at once, like an OOM kill or a lost machine."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


def start_cluster(
    workdir: Path, *, engine: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> WorkerCluster:
    """Start a cluster whose engine blocks (`block`) or answers at once (`answer`), in the
    repository (or in `cwd`: a host of its own, which finds the code through PYTHONPATH)."""
    workdir.mkdir(parents=True, exist_ok=True)
    n = len(list(workdir.glob("cluster-*.log")))
    log, calls = workdir / f"cluster-{n}.log", workdir / f"calls-{n}.log"
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "selective_speaker.settings",
        "DATABASE_URL": subprocess_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "Q_CLUSTER_NAME": settings.Q_CLUSTER["name"],
        "Q_WORKERS": "1",
        "Q_POLL_S": "0.1",
        "FAULTS_ENGINE": engine,
        "FAULTS_CALLS": str(calls),
        "PYTHONUNBUFFERED": "1",
        **FAST_JOBS,
        **(env or {}),
    }
    if cwd is not None:
        child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    if "REDIS_URL" not in (env or {}):
        child_env.pop("REDIS_URL", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults_support.worker"],
            cwd=cwd or REPO,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )
    return WorkerCluster(process=process, log=log, calls=calls)


def other_sessions() -> int:
    """Connections of the worker subprocesses to the test database (not this process's own,
    nor those of other tests' threads)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [WORKER_APPLICATION_NAME],
        )
        return cursor.fetchone()[0]
