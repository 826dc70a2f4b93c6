from __future__ import annotations

from django.conf import settings

from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.tasks import deliver_webhook, prune_deliveries, requeue_stale_deliveries


def test_it_delivers_by_id(receiver, db):
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=receiver.url))
    assert deliver_webhook(delivery.id) == "delivered"
    assert deliver_webhook(delivery.id) == "skipped"
    assert deliver_webhook(123456) == "skipped"


def test_the_sweeps_run_by_schedule(db):
    assert requeue_stale_deliveries() == 0 and prune_deliveries() == 0
    scheduled = {func for _name, func, _minutes in settings.JOB_SCHEDULES}
    assert {"webhooks.tasks.requeue_stale_deliveries", "webhooks.tasks.prune_deliveries"} <= scheduled
