"""deploy/Procfile and deploy/selective-speaker.env.example: real commands, real settings."""

from __future__ import annotations

import re

from tests.deploy.conftest import DEPLOY, documented_settings, manage_commands


def processes() -> dict[str, str]:
    lines = [line for line in (DEPLOY / "Procfile").read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split(": ", 1) for line in lines)


def test_it_defines_release_web_and_worker(django_commands):
    procs = processes()
    assert set(procs) == {"release", "web", "worker"}
    assert procs["web"] == "gunicorn -c deploy/gunicorn.conf.py"
    assert procs["worker"] == "python manage.py qcluster"
    assert manage_commands(procs["release"]) == ["migrate", "collectstatic", "init_storage"]
    assert {c for line in procs.values() for c in manage_commands(line)} <= django_commands


def test_the_env_file_example_sets_only_documented_settings_without_trailing_comments():
    text = (DEPLOY / "selective-speaker.env.example").read_text()
    assigned = re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, re.M)
    assert {name for name, _ in assigned} - documented_settings() == set()
    # systemd's EnvironmentFile keeps a "# comment" after a value as part of the value
    assert [name for name, value in assigned if "#" in value] == []
    names = {name for name, _ in assigned}
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "S3_BUCKET", "METRICS_TOKEN"} <= names
