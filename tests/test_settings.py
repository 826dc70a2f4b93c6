"""selective_speaker/settings/: every setting it reads from the environment is documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_text() -> str:
    """The source of every part of the settings package."""
    return "\n".join(p.read_text() for p in sorted((ROOT / "selective_speaker" / "settings").glob("*.py")))


def test_it_documents_every_environment_variable_in_env_example():
    settings_source = settings_text()
    read = set(re.findall(r"""\benv_\w+\(\s*["']([A-Z][A-Z0-9_]+)["']""", settings_source))
    read |= set(re.findall(r"""os\.(?:getenv|environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""", settings_source))
    documented = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert len(read) > 40  # the pattern still finds the settings
    assert sorted(read - documented) == [], "add these to .env.example, with their defaults"


def manage(*args: str, var_dir: Path) -> subprocess.CompletedProcess:
    """manage.py in a clean environment: the embedded default (SQLite in VAR_DIR), nothing prepared."""
    env = {"PATH": os.environ.get("PATH", ""), "VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_it_migrates_a_fresh_checkout_without_var(tmp_path):
    var_dir = tmp_path / "fresh" / "var"  # neither exists: `make` never ran
    result = manage("migrate", "--noinput", var_dir=var_dir)
    assert result.returncode == 0, result.stderr
    assert (var_dir / "db.sqlite3").is_file()


def test_it_says_which_folder_it_cannot_create(tmp_path):
    (tmp_path / "a-file").write_text("")
    result = manage("check", var_dir=tmp_path / "a-file" / "var")
    assert result.returncode != 0
    assert f"VAR_DIR {tmp_path / 'a-file' / 'var'} cannot be created" in result.stderr
