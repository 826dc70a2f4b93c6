"""operations/service_checks.py: the readiness probe's checks plus model checksums, one result per service."""

from __future__ import annotations

import pytest

from operations.service_checks import service_checks
from selective_speaker.speech.types import ModelError


@pytest.fixture
def models_ready(monkeypatch):
    monkeypatch.setattr(
        "selective_speaker.speech.models.readiness",
        lambda config: {name: {"ok": True, "detail": "test"} for name in ("asr", "embedding", "vad")},
    )


@pytest.fixture
def checksums_match(monkeypatch):
    monkeypatch.setattr(
        "operations.service_checks.check_model_checksums", lambda: {"ok": True, "detail": "checksums match"}
    )


def test_it_checks_every_service_of_the_readiness_probe_and_the_checksums(db, models_ready, checksums_match):
    results = service_checks()
    assert [r.name for r in results] == ["database", "queue", "storage", "models", "model checksums"]
    assert all(r.ok for r in results), results
    assert "asr ok: test" in results[3].detail


def test_a_failing_service_is_a_result_not_a_crash(db, models_ready, checksums_match, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", refuse)
    storage = {r.name: r for r in service_checks()}["storage"]
    assert not storage.ok and storage.detail == "OSError: read-only file system"


def test_it_reports_a_checksum_mismatch(db, models_ready, monkeypatch):
    def mismatch(config):
        raise ModelError("checksum mismatch for bundled:base model.bin (abc… != d01…)")

    monkeypatch.setattr("selective_speaker.speech.models.verify_campplus", lambda config: None)
    monkeypatch.setattr("selective_speaker.speech.models.whisper_model_source", lambda config: ("/m", "whisper-test"))
    monkeypatch.setattr("selective_speaker.speech.models.verify_whisper", lambda config, path: mismatch(config))
    checksums = {r.name: r for r in service_checks()}["model checksums"]
    assert not checksums.ok and "checksum mismatch for bundled:base" in checksums.detail


def test_it_skips_checksums_of_models_that_are_not_there(db, monkeypatch):
    missing = {"asr": {"ok": False, "detail": "model.bin is missing"}}
    monkeypatch.setattr("selective_speaker.speech.models.readiness", lambda config: missing)
    results = {r.name: r for r in service_checks()}
    assert not results["models"].ok and "asr NOT READY: model.bin is missing" in results["models"].detail
    assert "model checksums" not in results


def test_it_verifies_the_real_bundled_models(db):
    """Not mocked: the prepared models in the model directory match their checksums (make models)."""
    results = {r.name: r for r in service_checks()}
    assert results["models"].ok, results["models"].detail
    assert results["model checksums"].ok, results["model checksums"].detail
