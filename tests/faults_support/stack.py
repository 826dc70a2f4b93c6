"""The chaos suite's deployment on one machine: PostgreSQL and Redis each behind a TcpProxy
(tests/faults_support/proxy.py), a web server and worker clusters as subprocesses that reach
them only through the proxies, and one local file store with an outage switch
(tests/faults_support/outage_store.py) shared by all of them.

Why the web tier is a subprocess (`manage.py runserver --noreload`, threaded) and not pytest's
test client or a live-server thread: those share pytest's own database connection and settings,
which no proxy can stand in front of. As a subprocess it opens the test database by name
through the PostgreSQL proxy and Redis (cache and broker) through the Redis proxy, like the
workers. pytest's process talks to both directly: it plays the operator — it makes the owner,
runs the sweep after the faults and checks the outcome — and is not a part under test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import connection

from tests.faults_support.cluster import REPO, WorkerCluster, start_cluster, wait_for
from tests.faults_support.outage_store import StoreSwitch
from tests.faults_support.proxy import TcpProxy

APPLICATION_NAME = "selective-speaker-chaos"
SETTINGS_MODULE = "tests.faults_support.chaos_settings"

# Production's ordering of the job timings, scaled down to seconds (settings.py explains each):
# the enqueue grace < a 1 s chunk's lease (margin + RTF × 1 s) < the longest lease < a lost
# job's resend; a django-q2 job is killed after Q_TIMEOUT_S.
TIMINGS = {
    "JOB_ENQUEUE_GRACE_S": 1,
    "JOB_STALE_MARGIN_S": 2,
    "JOB_STALE_RTF": 0.5,
    "JOB_STALE_AFTER_S": 5,
    "JOB_RESEND_AFTER_S": 8,
    "JOB_RETRY_BASE_S": 1,
    "JOB_RETRY_MAX_S": 4,
    "Q_TIMEOUT_S": 4,
    "Q_RETRY_S": 6,
}

# The clients send a day's uploads in seconds: a phone's rate limits would only slow them down.
# The throttles still count every request in the cache (Redis, or memory while it is cut).
WEB_RATES = {"API_THROTTLE_USER": "100000/minute", "API_THROTTLE_IP": "100000/minute"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(port: int, role: str) -> str:
    """The test database that pytest-django created, reached on 127.0.0.1:`port` (a proxy)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    name = quote(db["NAME"], safe="")
    return f"postgres://{credentials}@127.0.0.1:{port}/{name}?application_name={APPLICATION_NAME}-{role}"


def sessions_left() -> int:
    """Sessions of the web server and the workers still open on the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE %s",
            [f"{APPLICATION_NAME}-%"],
        )
        return cursor.fetchone()[0]


def stop_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


@dataclass
class WebServer:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "--- web log ---\n" + "\n".join(text.splitlines()[-lines:])

    def tracebacks(self) -> list[str]:
        """Each traceback the server logged (a 500 leaves one)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        found, current = [], None
        for line in text.splitlines():
            if line.startswith("Traceback"):
                current = [line]
            elif current is not None:
                current.append(line)
                if line and not line.startswith((" ", "\t", "Traceback", "During handling", "The above")):
                    found.append("\n".join(current))
                    current = None
        return found


@dataclass
class Stack:
    """Everything the chaos test runs, and the switches it flips."""

    workdir: Path
    postgresql: TcpProxy
    redis: TcpProxy
    store: StoreSwitch
    queue: str  # the django-q2 cluster name: its Redis list and its signing salt
    redis_db: int
    web: WebServer | None = None
    clusters: list[WorkerCluster] = field(default_factory=list)

    def env(self, role: str) -> dict[str, str]:
        return {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DATABASE_URL": database_url(self.postgresql.port, role),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/{self.redis_db}",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CHUNK_AUDIO_RETENTION": "keep",  # every chunk keeps its file: none may be missing
            "Q_CLUSTER_NAME": self.queue,
            "PYTHONUNBUFFERED": "1",
            **self.store.env,
            **{name: str(value) for name, value in TIMINGS.items()},
        }

    def start_web(self) -> WebServer:
        port = free_port()
        log = self.workdir / "web.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
                cwd=REPO,
                env={**os.environ, **self.env("web"), **WEB_RATES},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.web = WebServer(process=process, port=port, log=log)
        return self.web

    def start_cluster(self, *, answer_after_s: float) -> WorkerCluster:
        """A qcluster with one worker process whose stand-in engine answers after `answer_after_s`."""
        env = {**self.env("worker"), "Q_WORKERS": "1", "FAULTS_ANSWER_AFTER_S": str(answer_after_s)}
        cluster = start_cluster(self.workdir / "q", engine="answer", env=env)
        self.clusters.append(cluster)
        return cluster

    def wait_until_serving(self, timeout: float = 60) -> None:
        """The web server listens and every cluster's worker has started."""

        def listening() -> bool:
            if self.web.process.poll() is not None:
                raise AssertionError(f"the web server exited\n{self.web.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.web.port), timeout=1).close()
            except OSError:
                return False
            return True

        wait_for(listening, timeout=timeout, what="the web server to listen", details=self.web.log_tail)
        for cluster in self.clusters:
            wait_for(
                lambda c=cluster: "running" in c.log.read_text(errors="replace") if c.log.exists() else False,
                timeout=timeout,
                what="a worker cluster to start",
                details=cluster.log_tail,
            )

    def live_clusters(self) -> list[WorkerCluster]:
        return [c for c in self.clusters if c.process.poll() is None]

    def stop(self) -> None:
        if self.web is not None:
            stop_group(self.web.process)
        for cluster in self.clusters:
            cluster.kill()
        self.postgresql.close()
        self.redis.close()
        self.store.restore()


def start_stack(workdir: Path, redis_url: str) -> Stack:
    """Proxies in front of the test database and `redis_url`; nothing started behind them yet."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = connection.settings_dict
    redis_target = urlsplit(redis_url)
    return Stack(
        workdir=workdir,
        postgresql=TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432), name="postgresql").start(),
        redis=TcpProxy(redis_target.hostname or "127.0.0.1", redis_target.port or 6379, name="redis").start(),
        store=StoreSwitch(workdir / "store-is-cut"),
        queue=f"chaos-{uuid.uuid4().hex[:12]}",
        redis_db=int((redis_target.path or "/0").lstrip("/") or 0),
    )


def wait_for_sessions_to_close(timeout: float = 30) -> None:
    """The killed processes' sessions must be gone before pytest-django flushes the tables."""
    deadline = time.monotonic() + timeout
    while sessions_left() and time.monotonic() < deadline:
        time.sleep(0.1)
