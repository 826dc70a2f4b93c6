"""deploy/compose.yaml: parses, has the services a production host needs, names only real settings and commands."""

from __future__ import annotations

import yaml

from tests.deploy.conftest import DEPLOY, documented_settings, manage_commands

SERVICES = {"db", "redis", "minio", "init", "web", "worker"}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_it_has_every_service():
    services = compose()["services"]
    assert set(services) == SERVICES
    assert "gunicorn" in command_text(services["web"])
    assert command_text(services["worker"]) == "python manage.py qcluster"
    assert services["worker"]["deploy"]["replicas"] >= 2


def test_it_runs_the_release_steps_once_before_web_and_workers(django_commands):
    services = compose()["services"]
    steps = manage_commands(command_text(services["init"]))
    assert steps == ["migrate", "collectstatic", "init_storage"]
    assert set(steps) <= django_commands
    assert services["init"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {"init": {"condition": "service_completed_successfully"}}
    assert {"db", "redis", "minio"} <= set(services["init"]["depends_on"])


def test_it_points_every_app_container_at_postgres_redis_and_the_bucket():
    services = compose()["services"]
    for name in ("init", "web", "worker"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["S3_ENDPOINT_URL"] == "http://minio:9000" and environment["S3_BUCKET"]
        assert services[name]["env_file"] == "selective-speaker.env"
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_it_names_only_real_settings():
    documented = documented_settings()
    for name in ("init", "web", "worker"):
        unknown = set(compose()["services"][name]["environment"]) - documented
        assert unknown == set(), f"{name}: not settings of the project (.env.example): {unknown}"


def test_it_gives_a_running_job_time_to_finish_on_stop():
    # Q_TIMEOUT_S defaults to 600 s: a worker stopped sooner loses the job to a takeover after its lease
    assert compose()["services"]["worker"]["stop_grace_period"] == "11m"
