"""`manage.py check_services`: every service this process needs, one result per service.

The readiness probe's own checks (selective_speaker/health.py: database SELECT 1, broker ping,
a file written, read back and deleted in the store, the model registry's files) — the same code,
so a green `check_services` and a green `GET /health` mean the same — plus what a probe is too
cheap to do: the bundled models' checksums (seconds: the Whisper file is hashed whole).
"""

from __future__ import annotations

from dataclasses import dataclass

from selective_speaker.health import CHECKS


@dataclass(frozen=True)
class ServiceCheck:
    name: str
    ok: bool
    detail: str


def check_model_checksums() -> dict:
    """The bundled models' files against their recorded checksums (what a worker's loader
    checks once per process), without loading them."""
    from selective_speaker.speech.models import verify_campplus, verify_whisper, whisper_model_source
    from selective_speaker.speech_config import speech_config

    config = speech_config()
    path, model_id = whisper_model_source(config)
    verify_whisper(config, path)  # a no-op for a model that is not bundled
    embedding = verify_campplus(config)
    return {"ok": True, "detail": f"asr {model_id}, embedding {embedding.name}: checksums match"}


def _detail(result: dict) -> str:
    if "models" in result:  # the registry: one part per model
        parts = result["models"].items()
        return "; ".join(f"{name} {'ok' if m['ok'] else 'NOT READY'}: {m['detail']}" for name, m in parts)
    detail = str(result.get("detail", ""))
    if "queued" in result:
        detail += f" ({result['queued']} queued)"
    return detail


def service_checks(*, checksums: bool = True) -> list[ServiceCheck]:
    """Run every check; a check that raises is a failed result, never a crash. The checksums run
    only when the models are there (their absence is reported once, by `models`)."""
    results = [_run(name, check) for name, check in CHECKS.items()]
    models_ok = next((r.ok for r in results if r.name == "models"), False)
    if checksums and models_ok:
        results.append(_run("model checksums", check_model_checksums))
    return results


def _run(name: str, check) -> ServiceCheck:
    try:
        result = check()
    except Exception as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return ServiceCheck(name, False, f"{type(exc).__name__}: {reason}")
    return ServiceCheck(name, bool(result["ok"]), _detail(result))
