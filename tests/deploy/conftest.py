"""What the deployment files may name: settings documented in .env.example, real manage.py commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def documented_settings() -> set[str]:
    """Every variable .env.example lists (commented out, with its default)."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))


def manage_commands(command_line: str) -> list[str]:
    """The manage.py subcommands a shell command line runs."""
    return re.findall(r"manage\.py\s+([\w-]+)", command_line)


@pytest.fixture(scope="session")
def django_commands() -> set[str]:
    from django.core.management import get_commands

    return set(get_commands())
