"""selective_speaker/settings/: every setting it reads from the environment is documented."""

from __future__ import annotations

import re
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
