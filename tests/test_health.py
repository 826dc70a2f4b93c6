from __future__ import annotations

import pytest


@pytest.fixture
def models_ready(monkeypatch):
    monkeypatch.setattr(
        "selective_speaker.speech.models.readiness",
        lambda config: {name: {"ok": True, "detail": "test"} for name in ("asr", "embedding", "vad")},
    )


def test_it_reports_healthy(db, client, models_ready):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "queue", "storage", "models"}
    assert body["checks"]["queue"]["queued"] == 0
    assert body["checks"]["models"]["models"]["asr"]["ok"] is True


def test_it_reports_missing_models_with_503(db, client, monkeypatch):
    monkeypatch.setattr(
        "selective_speaker.speech.models.readiness",
        lambda config: {"asr": {"ok": False, "detail": "model.bin is missing"}, "vad": {"ok": True, "detail": ""}},
    )
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["models"]["models"]["asr"]["detail"] == "model.bin is missing"


def test_it_reports_a_broken_model_registry(db, client, monkeypatch):
    def broken(config):
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr("selective_speaker.speech.models.readiness", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["models"] == {"ok": False, "detail": "ImportError: No module named 'onnxruntime'"}


def test_it_reports_a_failing_storage(db, client, models_ready, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", refuse)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"ok": False, "detail": "OSError: read-only file system"}
    assert response.json()["checks"]["database"]["ok"] is True


def test_it_leaves_no_file_behind(db, client, models_ready, media_root):
    client.get("/health")
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_it_needs_no_login(db, client, models_ready):
    assert client.get("/health").status_code == 200


def test_it_checks_the_real_model_registry(db, client):
    """Not mocked: the registry answers for the configured models (ready or not, never a crash)."""
    body = client.get("/health").json()
    assert set(body["checks"]["models"]["models"]) == {"asr", "embedding", "vad"}


def test_liveness_answers_while_the_database_and_broker_are_down(client, monkeypatch):
    # no database access allowed here (no `db` fixture): the probe must not touch one
    def down():
        raise AssertionError("the liveness probe ran a readiness check")

    monkeypatch.setattr("selective_speaker.health.CHECKS", {"database": down, "queue": down})
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post("/health/live").status_code == 405
