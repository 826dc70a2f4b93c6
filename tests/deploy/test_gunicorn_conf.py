"""deploy/gunicorn.conf.py: gunicorn really serves the project with it (a subprocess, two workers)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def database_url() -> str | None:
    """The test run's PostgreSQL database as a URL (CI), or None: SQLite in the server's own VAR_DIR."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    d = connection.settings_dict
    return f"postgres://{d['USER']}:{d['PASSWORD'] or ''}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


@pytest.fixture
def gunicorn(db, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "2",
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "selective_speaker.settings",
    }
    env.pop("DATABASE_URL", None)
    if url := database_url():
        env["DATABASE_URL"] = url
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # the workers import Django and the settings: wait until one answers
        try:
            if get(f"{base}/health/live")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"gunicorn did not start:\n{process.communicate()[0]}")
        time.sleep(0.2)  # polling a subprocess that is starting, not waiting for a result
    yield base, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def test_it_serves_the_project_and_stops_on_sigterm(gunicorn):
    base, process = gunicorn
    assert get(f"{base}/health/live") == (200, b'{"ok": true}')
    status, body = get(f"{base}/health")  # readiness: the database answers through gunicorn's workers
    assert status in (200, 503)
    assert json.loads(body)["checks"]["database"]["ok"] is True
    assert get(f"{base}/metrics")[0] == 404  # METRICS_TOKEN unset: no metrics endpoint
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=35) == 0
    log = process.stdout.read()
    assert "Booting worker" in log and log.count("Booting worker") == 2, log
    assert '"GET /health/live HTTP/1.1" 200' in log  # the access log goes to stdout
