"""Writes of webhooks: the owner's endpoints (add, change, rotate the secret, delete, test) and
the deliveries an event makes; the delivery job itself is webhooks/delivery.py."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chunks.selectors import chunk_list
from webhooks.addresses import AddressRefused, AddressUnresolved, host_resolve, url_check
from webhooks.delivery import DELIVERIES
from webhooks.events import event_envelope, ping_data
from webhooks.models import TEST_EVENT, Event, WebhookDelivery, WebhookEndpoint
from webhooks.signing import secret_generate

# Rows one prune deletes at most (the next run deletes the rest).
PRUNE_BATCH = 10_000


# --- endpoints ----------------------------------------------------------------------------


def webhook_url_validate(url: str) -> None:
    """ValidationError on `url` unless deliveries may go there now (webhooks.addresses)."""
    try:
        _, host, port, _ = url_check(url)
        host_resolve(host, port)
    except (AddressRefused, AddressUnresolved) as exc:
        raise ValidationError({"url": [str(exc)]}) from exc


def webhook_events_validate(events: list[str]) -> list[str]:
    """The events, each once, in a stable order; ValidationError for an unknown or empty list."""
    unknown = sorted(set(events) - set(Event.values))
    if unknown:
        raise ValidationError({"events": [f"unknown events: {', '.join(unknown)} (known: {', '.join(Event.values)})"]})
    if not events:
        raise ValidationError({"events": ["subscribe to at least one event"]})
    return [event for event in Event.values if event in events]


def webhook_endpoint_create(*, user, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    """A new endpoint with a new secret (the caller shows it to the owner once)."""
    if WebhookEndpoint.objects.filter(user=user).count() >= settings.WEBHOOK_ENDPOINTS_MAX:
        raise ValidationError(f"at most {settings.WEBHOOK_ENDPOINTS_MAX} webhook endpoints per account")
    events = webhook_events_validate(events)
    webhook_url_validate(url)
    return WebhookEndpoint.objects.create(
        user=user, url=url, events=events, description=description, secret=secret_generate()
    )


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change url, events, description or active. Turning an endpoint on clears a disabling
    after failures, and its count."""
    fields = {}
    if "url" in changes and changes["url"] != endpoint.url:
        webhook_url_validate(changes["url"])
        fields["url"] = changes["url"]
    if "events" in changes:
        fields["events"] = webhook_events_validate(changes["events"])
    if "description" in changes:
        fields["description"] = changes["description"]
    if "active" in changes:
        fields["active"] = bool(changes["active"])
        if fields["active"]:
            fields |= {"disabled_at": None, "disabled_reason": "", "consecutive_failures": 0}
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if fields:
        endpoint.save(update_fields=list(fields))
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret, at once: every attempt from now on (retries included) is signed with it."""
    endpoint.secret = secret_generate()
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log; retries still scheduled find nothing to do."""
    endpoint.delete()


def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint (even when it is turned off): one attempt."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=TEST_EVENT, payload=event_envelope(TEST_EVENT, ping_data(endpoint))
        )
        DELIVERIES.enqueue_on_commit([delivery.id])
    return delivery


# --- events -------------------------------------------------------------------------------


def webhook_event_emit(*, user_id: int, event: str, items: list[tuple[str, dict]]) -> list[int]:
    """Deliveries of `event` — one per (subject, data) item — to each of the owner's endpoints
    that is on and subscribes to it, sent after the commit. Returns their ids."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(user_id=user_id, active=True) if event in e.events]
    if not endpoints or not items:
        return []
    envelopes = [(subject, _chunk_of(data), event_envelope(event, data)) for subject, data in items]
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, event=event, subject=subject, chunk_id=chunk_id, payload=envelope)
            for subject, chunk_id, envelope in envelopes  # one event id, whichever endpoint
            for endpoint in endpoints
        )
        ids = [d.id for d in deliveries]
        DELIVERIES.enqueue_on_commit(ids)
    return ids


def _chunk_of(data: dict) -> int | None:
    """The recording an event's data is about (redacted with it when it is deleted)."""
    if "chunk" in data:
        return data["chunk"].get("id")
    if "utterance" in data:
        return data["utterance"].get("chunk_id")
    return None


def webhook_payloads_redact(
    *, subjects: list[str] | None = None, chunk_id: int | None = None, gone_chunks_of=None
) -> int:
    """Take the text out of the logged payloads about these subjects, about anything of this
    chunk, or about any chunk of the user (or user id) `gone_chunks_of` that no longer exists (deleted
    utterances, deleted recordings: their words are gone for good here too, whether sent
    already or still to be sent). Returns how many payloads changed."""
    if gone_chunks_of is not None:
        deliveries = WebhookDelivery.objects.filter(endpoint__user=gone_chunks_of, chunk_id__isnull=False).exclude(
            chunk_id__in=chunk_list(user=gone_chunks_of).order_by().values("id")
        )
    elif chunk_id is not None:
        deliveries = WebhookDelivery.objects.filter(chunk_id=chunk_id)
    else:
        deliveries = WebhookDelivery.objects.filter(subject__in=subjects or [])
    redacted = 0
    for delivery in deliveries.only("id", "payload"):
        item = next(iter(delivery.payload.get("data", {}).values()), None)
        if isinstance(item, dict) and item.get("text"):
            item["text"] = ""
            redacted += WebhookDelivery.objects.filter(id=delivery.id).update(payload=delivery.payload)
    return redacted


# --- the periodic sweeps --------------------------------------------------------------------


def webhook_deliveries_requeue_stale() -> int:
    return DELIVERIES.requeue_stale()


def webhook_deliveries_prune(*, now=None) -> int:
    """Delete the log of deliveries finished more than WEBHOOK_DELIVERY_LOG_DAYS ago."""
    before = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_LOG_DAYS)
    old = WebhookDelivery.objects.filter(
        created_at__lt=before, status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED]
    )
    ids = list(old.order_by("id").values_list("id", flat=True)[:PRUNE_BATCH])
    return WebhookDelivery.objects.filter(id__in=ids).delete()[0]
