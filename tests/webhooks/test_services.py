from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import Event, WebhookDelivery
from webhooks.services import (
    webhook_deliveries_prune,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_event_emit,
    webhook_payloads_redact,
    webhook_test_send,
)


def test_it_creates_an_endpoint_with_its_own_secret(user, local_webhooks):
    first = webhook_endpoint_create(user=user, url="http://127.0.0.1:9000/a", events=["utterance.created"])
    second = webhook_endpoint_create(user=user, url="http://127.0.0.1:9000/b", events=list(reversed(Event.values)))
    assert first.secret.startswith("whsec_") and first.secret != second.secret
    assert second.events == list(Event.values)  # each once, in a stable order


@pytest.mark.parametrize(
    "url, events, field",
    [
        ("https://127.0.0.1/hook", ["chunk.processed"], "url"),  # loopback, not allowed by default
        ("http://hooks.example.org/", ["chunk.processed"], "url"),  # https only by default
        ("https://hooks.example.org/", ["chunk.lost"], "events"),
        ("https://hooks.example.org/", [], "events"),
    ],
)
def test_it_refuses_bad_endpoints(user, settings, url, events, field):
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationError) as caught:
        webhook_endpoint_create(user=user, url=url, events=events)
    assert field in caught.value.message_dict


def test_it_limits_endpoints_per_account(user, settings, local_webhooks):
    settings.WEBHOOK_ENDPOINTS_MAX = 1
    webhook_endpoint_create(user=user, url="http://127.0.0.1:9000/a", events=["chunk.processed"])
    with pytest.raises(ValidationError, match="at most 1"):
        webhook_endpoint_create(user=user, url="http://127.0.0.1:9000/b", events=["chunk.processed"])


def test_turning_an_endpoint_on_clears_its_failures(db):
    endpoint = WebhookEndpointFactory(
        active=False, consecutive_failures=5, disabled_at=timezone.now(), disabled_reason="x"
    )
    webhook_endpoint_update(endpoint=endpoint, active=True)
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason) == (
        True, 0, None, ""
    )  # fmt: skip


def test_rotating_replaces_the_secret(db):
    endpoint = WebhookEndpointFactory()
    old = endpoint.secret
    webhook_endpoint_rotate_secret(endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret_rotated_at is not None


def test_an_event_makes_one_delivery_per_item_and_subscribed_endpoint(
    user, other_user, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda func, *args, **kw: sent.append(args[0]))
    both = WebhookEndpointFactory(user=user)
    also = WebhookEndpointFactory(user=user, events=["utterance.created"])
    WebhookEndpointFactory(user=user, events=["chunk.processed"])
    WebhookEndpointFactory(user=other_user)
    items = [(f"utterance:{n}", {"utterance": {"id": n, "chunk_id": 7}}) for n in (1, 2)]
    with django_capture_on_commit_callbacks(execute=True):
        ids = webhook_event_emit(user_id=user.id, event=Event.UTTERANCE_CREATED, items=items)
    assert sorted(sent) == sorted(ids) and len(ids) == 4
    deliveries = WebhookDelivery.objects.filter(id__in=ids)
    assert {d.endpoint_id for d in deliveries} == {both.id, also.id}
    assert {d.payload["data"]["utterance"]["id"] for d in deliveries} == {1, 2}
    assert len({d.payload["id"] for d in deliveries}) == 2  # one event id per event, whichever endpoint
    assert {d.chunk_id for d in deliveries} == {7}
    assert all(d.payload["id"].startswith("evt_") and d.payload["event"] == "utterance.created" for d in deliveries)


def test_a_test_event_is_queued_after_the_commit(django_capture_on_commit_callbacks, monkeypatch, db):
    sent = []
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda func, *args, **kw: sent.append((func, args)))
    endpoint = WebhookEndpointFactory(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_test_send(endpoint=endpoint)
        assert sent == []
    assert sent == [("webhooks.tasks.deliver_webhook", (delivery.id,))]
    assert delivery.event == "webhook.test" and delivery.payload["data"]["endpoint_id"] == endpoint.id


def test_it_takes_the_text_out_of_logged_payloads(db):
    payload = {"event": "utterance.created", "data": {"utterance": {"id": 9, "text": "my words"}}}
    logged = WebhookDeliveryFactory(subject="utterance:9", event="utterance.created", payload=payload)
    other = WebhookDeliveryFactory(subject="utterance:10", event="utterance.created", payload=payload)
    assert webhook_payloads_redact(subjects=["utterance:9"]) == 1
    logged.refresh_from_db()
    other.refresh_from_db()
    assert logged.payload["data"]["utterance"] == {"id": 9, "text": ""}
    assert other.payload["data"]["utterance"]["text"] == "my words"


def test_it_prunes_finished_deliveries_past_the_log_days(settings, db):
    settings.WEBHOOK_DELIVERY_LOG_DAYS = 14
    old = timezone.now() - timedelta(days=15)
    gone = WebhookDeliveryFactory(status=WebhookDelivery.Status.DELIVERED)
    pending = WebhookDeliveryFactory(status=WebhookDelivery.Status.PENDING)
    recent = WebhookDeliveryFactory(status=WebhookDelivery.Status.FAILED)
    WebhookDelivery.objects.filter(id__in=[gone.id, pending.id]).update(created_at=old)
    assert webhook_deliveries_prune() == 1
    assert set(WebhookDelivery.objects.values_list("id", flat=True)) == {pending.id, recent.id}
