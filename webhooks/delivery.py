"""The delivery job: one signed POST per attempt, retried with a back-off, logged, and an
endpoint that keeps failing disabled.

A delivery is a job row of the shared machinery (selective_speaker.jobs): enqueued through its
outbox after the commit that made it, claimed with a conditional UPDATE (a duplicate job does
nothing), its claims past their lease swept and enqueued again. The retry policy is its own:
- an attempt answered 2xx delivers it (and resets the endpoint's count of failures);
- any other answer, or none within WEBHOOK_TIMEOUT_S, is retried after WEBHOOK_RETRY_BASE_S,
  doubling, at most WEBHOOK_RETRY_MAX_S (a one-off django-q2 schedule), until
  WEBHOOK_MAX_ATTEMPTS; then it has failed, and WEBHOOK_DISABLE_AFTER_FAILURES deliveries failed
  in a row disable the endpoint (the owner turns it on again);
- an address that is not allowed fails at once (another attempt cannot help);
- a test event is tried once, to endpoints turned off too, and never counts toward disabling.
Every attempt's HTTP status (or null: no answer) is kept in `response_codes`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from selective_speaker.jobs import ERROR_MAX_CHARS, JobQueue
from webhooks.models import TEST_EVENT, WebhookDelivery, WebhookEndpoint
from webhooks.sending import Attempt, webhook_post
from webhooks.signing import SIGNATURE_HEADER, signature_header

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryQueue(JobQueue):
    """The shared job lifecycle, with the webhooks' lease and back-off."""

    @staticmethod
    def lease_s(duration_ms: int | None) -> float:
        return settings.WEBHOOK_TIMEOUT_S + 60  # one attempt, however long the last one took

    @staticmethod
    def retry_delay_s(attempts: int) -> float:
        """After the `attempts`-th failed attempt: BASE, 2×, 4×, … at most MAX."""
        return min(settings.WEBHOOK_RETRY_BASE_S * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_S)

    def out_of_attempts(self, row) -> bool:
        return row.attempts > _max_attempts(row)


DELIVERIES = DeliveryQueue(
    model=WebhookDelivery,
    task="webhooks.tasks.deliver_webhook",
    label="webhook",
    waiting=(WebhookDelivery.Status.PENDING,),
    released=WebhookDelivery.Status.PENDING,
    processing=WebhookDelivery.Status.SENDING,
    failed=WebhookDelivery.Status.FAILED,
)


def _max_attempts(delivery: WebhookDelivery) -> int:
    return 1 if delivery.event == TEST_EVENT else settings.WEBHOOK_MAX_ATTEMPTS


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Make the delivery's next attempt. None when it is not claimable (delivered or failed
    already, taken by another worker, deleted)."""
    claimed_at = DELIVERIES.claim(delivery_id)
    if claimed_at is None:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(id=delivery_id)
    endpoint = delivery.endpoint
    if DELIVERIES.out_of_attempts(delivery):  # earlier claims died without reporting
        _fail(delivery, claimed_at, f"no result after {delivery.attempts - 1} attempts")
    elif not endpoint.active and delivery.event != TEST_EVENT:
        _fail(delivery, claimed_at, "not sent: the endpoint is turned off", counts=False)
    else:
        _record(delivery, claimed_at, webhook_post(endpoint.url, *_signed(delivery)))
    return delivery


def _signed(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        SIGNATURE_HEADER: signature_header(delivery.endpoint.secret, body),
        "X-Selective-Speaker-Event": delivery.event,
        "X-Selective-Speaker-Delivery": str(delivery.id),
    }
    return body, headers


def _record(delivery: WebhookDelivery, claimed_at: datetime, attempt: Attempt) -> None:
    held = DELIVERIES.held(delivery.id, claimed_at)
    codes = [*delivery.response_codes, attempt.status]
    fields = {"response_codes": codes, "duration_ms": attempt.duration_ms}
    if attempt.ok:
        fields |= {"status": WebhookDelivery.Status.DELIVERED, "delivered_at": timezone.now(), "error": ""}
        with transaction.atomic():
            if held.update(**fields) and delivery.event != TEST_EVENT:
                WebhookEndpoint.objects.filter(id=delivery.endpoint_id, consecutive_failures__gt=0).update(
                    consecutive_failures=0
                )
        _set(delivery, fields)
        return
    error = f"attempt {delivery.attempts}: {attempt.error}"[:ERROR_MAX_CHARS]
    if attempt.refused or delivery.attempts >= _max_attempts(delivery):
        held.update(response_codes=codes, duration_ms=attempt.duration_ms)
        _set(delivery, {"response_codes": codes, "duration_ms": attempt.duration_ms})
        _fail(delivery, claimed_at, error)
        return
    retry_at = timezone.now() + timedelta(seconds=DELIVERIES.retry_delay_s(delivery.attempts))
    fields |= {"status": WebhookDelivery.Status.PENDING, "error": error, "next_attempt_at": retry_at,
               "enqueued_at": retry_at}  # handed to the scheduler for then
    with transaction.atomic():
        if held.update(**fields):
            DELIVERIES._schedule_retry(delivery.id, retry_at)
    _set(delivery, fields)
    log.info("webhook delivery %s attempt %s failed, retry at %s: %s", delivery.id, delivery.attempts, retry_at, error)


def _fail(delivery: WebhookDelivery, claimed_at: datetime, error: str, *, counts: bool = True) -> None:
    """The delivery has failed for good; a failure that counts may disable its endpoint."""
    fields = {"status": WebhookDelivery.Status.FAILED, "error": error[:ERROR_MAX_CHARS]}
    with transaction.atomic():
        failed = DELIVERIES.held(delivery.id, claimed_at).update(**fields)
        if failed and counts and delivery.event != TEST_EVENT:
            _count_failure(delivery.endpoint_id)
    _set(delivery, fields)
    log.warning("webhook delivery %s failed: %s", delivery.id, fields["error"])


def _count_failure(endpoint_id: int) -> None:
    endpoints = WebhookEndpoint.objects.filter(id=endpoint_id)
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    if limit and endpoints.filter(consecutive_failures__gte=limit, active=True).update(
        active=False,
        disabled_at=timezone.now(),
        disabled_reason=f"turned off after {limit} deliveries in a row failed",
    ):
        log.warning("webhook endpoint %s turned off after %s failed deliveries", endpoint_id, limit)


def _set(row, fields: dict) -> None:
    for name, value in fields.items():
        setattr(row, name, value)
