"""Probes for a load balancer or an orchestrator.

GET /health (readiness): is every part the service needs ready? 200 when all are, 503 otherwise.
Cheap enough to poll: one SELECT, a broker ping, a tiny file written and deleted, and the
model registry's readiness check (files and checksums, nothing loaded). Take the instance out
of rotation on a 503; do not restart it — the database or the broker being down is not its fault.

GET /health/live (liveness): the process answers requests; touches nothing else, so an outage
of the database, broker or store never gets a healthy web process restarted.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "detail": connection.vendor}


def check_queue() -> dict:
    from django_q.brokers import get_broker

    broker = get_broker()
    if not broker.ping():
        return {"ok": False, "detail": f"{broker.info()} does not answer"}
    return {"ok": True, "detail": broker.info(), "queued": broker.queue_size()}


def check_storage() -> dict:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        readable = default_storage.exists(name)
    finally:
        default_storage.delete(name)
    return {"ok": readable, "detail": default_storage.__class__.__name__}


def check_models() -> dict:
    from selective_speaker.speech.models import readiness
    from selective_speaker.speech_config import speech_config

    models = readiness(speech_config())
    return {"ok": all(model["ok"] for model in models.values()), "models": models}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "queue": check_queue,
    "storage": check_storage,
    "models": check_models,
}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a failed check is a result, not a crash
            log.warning("health check %s failed: %s", name, exc)
            results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    ok = all(result["ok"] for result in results.values())
    return JsonResponse({"ok": ok, "checks": results}, status=200 if ok else 503)


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
