"""deploy/systemd/*.service: they parse, run real commands, and systemd itself accepts them."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest

from tests.deploy.conftest import DEPLOY, ROOT, manage_commands

UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALL_DIR = "/opt/selective-speaker"


def unit(path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def exec_lines(path) -> list[str]:
    """Every ExecStart= line (a oneshot has several; configparser keeps the last of repeated keys)."""
    return [line.split("=", 1)[1] for line in path.read_text().splitlines() if line.startswith("ExecStart=")]


def test_it_has_the_web_worker_template_and_release_units():
    assert {p.name for p in UNITS} == {
        "selective-speaker-web.service",
        "selective-speaker-worker@.service",
        "selective-speaker-init.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=[p.name for p in UNITS])
def test_it_runs_real_commands_from_the_environment_file(path, django_commands):
    service = unit(path)["Service"]
    assert service["EnvironmentFile"] == "/etc/selective-speaker/selective-speaker.env"
    assert service["WorkingDirectory"] == INSTALL_DIR
    assert service["User"] == "selective-speaker"
    for line in exec_lines(path):
        assert line.startswith(f"{INSTALL_DIR}/.venv/bin/"), line
        assert set(manage_commands(line)) <= django_commands, line


def test_the_units_run_gunicorn_and_qcluster():
    web = exec_lines(DEPLOY / "systemd" / "selective-speaker-web.service")
    worker = exec_lines(DEPLOY / "systemd" / "selective-speaker-worker@.service")
    release = exec_lines(DEPLOY / "systemd" / "selective-speaker-init.service")
    assert web == [f"{INSTALL_DIR}/.venv/bin/gunicorn -c deploy/gunicorn.conf.py"]
    assert worker == [f"{INSTALL_DIR}/.venv/bin/python manage.py qcluster"]
    steps = [manage_commands(line)[0] for line in release]
    assert steps == ["migrate", "collectstatic", "init_storage", "check_services"]
    # a stop lets a job run out its Q_TIMEOUT_S (600 s)
    assert int(unit(DEPLOY / "systemd" / "selective-speaker-worker@.service")["Service"]["TimeoutStopSec"]) > 600


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("path", UNITS, ids=[p.name for p in UNITS])
def test_systemd_accepts_the_unit(path, tmp_path):
    # systemd checks that the programs exist: point the unit at this checkout's virtualenv
    local = tmp_path / path.name
    local.write_text(path.read_text().replace(INSTALL_DIR, str(ROOT)))
    result = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
