"""The operator's commands: status, check_services, init_storage (output and exit status)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from operations.service_checks import ServiceCheck
from tests.factories import ChunkFactory


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_status_prints_the_queue_stuck_jobs_and_workers(db, user, monkeypatch):
    now = timezone.now()
    ChunkFactory(user=user, status="queued")
    stuck = ChunkFactory(user=user, status="processing", claimed_at=now - timedelta(hours=1), next_attempt_at=now)
    monkeypatch.setattr("operations.management.commands.status.clusters_seen", lambda: [])
    text = run("status")
    assert "chunks: queued 1  waiting 0  processing 1  done 0  failed 0  indeterminate 0" in text
    assert f"stuck (claim past its lease): 1: {stuck.id}" in text
    assert "enrollments: pending 0  processing 0  ready 0  rejected 0" in text
    assert "workers: no cluster reported" in text
    document = json.loads(run("status", "--json"))
    assert document["queues"][0]["stuck_ids"] == [stuck.id] and document["clusters"] == []


def test_check_services_prints_one_line_per_service_and_exits_1_on_a_failure(db, monkeypatch):
    results = [ServiceCheck("database", True, "postgresql"), ServiceCheck("queue", False, "redis does not answer")]
    monkeypatch.setattr("operations.management.commands.check_services.service_checks", lambda checksums: results)
    out = StringIO()
    with pytest.raises(CommandError, match="not ready: queue") as raised:
        call_command("check_services", stdout=out)
    assert raised.value.returncode == 1
    assert out.getvalue().splitlines() == ["database: ok — postgresql", "queue: FAILED — redis does not answer"]


def test_check_services_exits_0_when_all_pass(db, monkeypatch):
    monkeypatch.setattr(
        "operations.management.commands.check_services.service_checks",
        lambda checksums: [ServiceCheck("database", True, "sqlite")],
    )
    assert run("check_services", "--no-checksums") == "database: ok — sqlite\n"


def test_init_storage_reports_and_is_idempotent(db, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "store"
    assert run("init_storage").endswith("store: created; write, read, delete ok\n")
    assert run("init_storage").endswith("store: exists; write, read, delete ok\n")
    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", refuse_writes)
    with pytest.raises(CommandError, match="storage not ready: cannot write") as raised:
        call_command("init_storage", stdout=StringIO())
    assert raised.value.returncode == 1


def refuse_writes(*args, **kwargs):
    raise OSError(30, "Read-only file system")
