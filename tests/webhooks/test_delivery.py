from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.delivery import DELIVERIES, webhook_deliver
from webhooks.models import TEST_EVENT, WebhookDelivery
from webhooks.signing import SIGNATURE_HEADER, signature_verify

Status = WebhookDelivery.Status


@pytest.fixture
def delivery(receiver, db):
    return WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=receiver.url))


def fresh(row):
    row.refresh_from_db()
    return row


def test_it_delivers_a_signed_event(delivery, receiver):
    assert webhook_deliver(delivery_id=delivery.id).status == Status.DELIVERED
    [request] = receiver.requests
    assert request.json == delivery.payload
    assert signature_verify(delivery.endpoint.secret, request.body, request.headers[SIGNATURE_HEADER])
    assert request.headers["X-Selective-Speaker-Event"] == "chunk.processed"
    assert request.headers["X-Selective-Speaker-Delivery"] == str(delivery.id)
    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.response_codes) == (Status.DELIVERED, 1, [200])
    assert delivery.delivered_at is not None and delivery.duration_ms is not None
    assert webhook_deliver(delivery_id=delivery.id) is None  # a duplicate job does nothing
    assert len(receiver.requests) == 1


def test_it_retries_with_a_doubling_back_off(delivery, receiver, settings):
    settings.WEBHOOK_RETRY_BASE_S, settings.WEBHOOK_RETRY_MAX_S = 30, 100
    receiver.statuses = [500, 502, 503]
    for attempt, delay in [(1, 30), (2, 60), (3, 100)]:
        before = timezone.now()
        webhook_deliver(delivery_id=delivery.id)
        delivery = fresh(delivery)
        assert delivery.status == Status.PENDING and delivery.attempts == attempt
        wait = timedelta(seconds=delay)
        assert before + wait <= delivery.next_attempt_at <= timezone.now() + wait
        retry = Schedule.objects.get(name=f"retry-webhook-{delivery.id}")
        assert retry.func == "webhooks.tasks.deliver_webhook" and retry.next_run == delivery.next_attempt_at
    assert delivery.error.startswith("attempt 3: HTTP 503")
    webhook_deliver(delivery_id=delivery.id)
    delivery = fresh(delivery)
    assert (delivery.status, delivery.response_codes, delivery.error) == (Status.DELIVERED, [500, 502, 503, 200], "")


def test_the_back_off_schedule_by_default():
    from django.conf import settings

    delays = [DELIVERIES.retry_delay_s(n) for n in range(1, settings.WEBHOOK_MAX_ATTEMPTS)]
    assert delays == [30, 60, 120, 240, 480, 960, 1800]


def test_it_gives_up_after_the_last_attempt(delivery, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 500]
    webhook_deliver(delivery_id=delivery.id)
    webhook_deliver(delivery_id=delivery.id)
    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.response_codes) == (Status.FAILED, 2, [500, 500])
    assert delivery.endpoint.consecutive_failures == 1 and fresh(delivery.endpoint).consecutive_failures == 1
    assert webhook_deliver(delivery_id=delivery.id) is None


def test_it_turns_an_endpoint_off_after_failed_deliveries_in_a_row(receiver, settings, db):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.statuses = [500, 500, 200, 500, 500, 500]
    for _ in range(6):
        webhook_deliver(delivery_id=WebhookDeliveryFactory(endpoint=endpoint).id)
        if fresh(endpoint).consecutive_failures == 2 and len(receiver.requests) == 2:
            assert endpoint.active  # two, then a success: the count starts again
    endpoint = fresh(endpoint)
    assert not endpoint.active and endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 3 and "3 deliveries in a row failed" in endpoint.disabled_reason
    later = WebhookDeliveryFactory(endpoint=endpoint)
    webhook_deliver(delivery_id=later.id)
    assert len(receiver.requests) == 6  # nothing more is sent to it
    assert (fresh(later).status, later.error) == (Status.FAILED, "not sent: the endpoint is turned off")


def test_a_refused_address_fails_at_once(delivery, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    webhook_deliver(delivery_id=delivery.id)
    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.response_codes) == (Status.FAILED, 1, [None])
    assert "refused" in delivery.error and receiver.requests == []


def test_a_test_event_is_tried_once_even_when_turned_off_and_never_counts(receiver, db):
    endpoint = WebhookEndpointFactory(url=receiver.url, active=False, consecutive_failures=4)
    receiver.statuses = [500]
    test = WebhookDeliveryFactory(endpoint=endpoint, event=TEST_EVENT)
    webhook_deliver(delivery_id=test.id)
    assert (fresh(test).status, test.response_codes) == (Status.FAILED, [500])
    assert fresh(endpoint).consecutive_failures == 4 and not endpoint.active


def test_it_gives_up_when_earlier_claims_died(delivery, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    WebhookDelivery.objects.filter(id=delivery.id).update(attempts=2)  # two claims, no report
    webhook_deliver(delivery_id=delivery.id)
    assert fresh(delivery).status == Status.FAILED and "no result after 2 attempts" in delivery.error
    assert receiver.requests == []


def test_the_sweep_sends_a_delivery_whose_worker_died(delivery, monkeypatch):
    sent = []
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda func, *args, **kw: sent.append((func, args)))
    claimed_at = DELIVERIES.claim(delivery.id)
    WebhookDelivery.objects.filter(id=delivery.id).update(next_attempt_at=claimed_at - timedelta(seconds=1))
    assert DELIVERIES.requeue_stale() == 1
    assert sent == [("webhooks.tasks.deliver_webhook", (delivery.id,))]
    assert fresh(delivery).status == Status.PENDING
