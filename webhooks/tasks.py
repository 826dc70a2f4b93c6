"""django-q2 entry points for webhooks: load by id, call a service. No logic here."""

from __future__ import annotations

from webhooks.delivery import webhook_deliver
from webhooks.services import webhook_deliveries_prune, webhook_deliveries_requeue_stale


def deliver_webhook(delivery_id: int) -> str:
    delivery = webhook_deliver(delivery_id=delivery_id)
    return "skipped" if delivery is None else delivery.status


def requeue_stale_deliveries() -> int:
    return webhook_deliveries_requeue_stale()


def prune_deliveries() -> int:
    return webhook_deliveries_prune()
