"""Reads of webhooks: the owner's endpoints and their delivery logs."""

from __future__ import annotations

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, user) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(user=user).order_by("-created_at", "-id")


def webhook_endpoint_get(*, user, endpoint_id: int) -> WebhookEndpoint | None:
    return webhook_endpoint_list(user=user).filter(id=endpoint_id).first()


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first (the endpoint's owner only: callers get the endpoint through webhook_endpoint_get)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")


def webhook_endpoints_overview(*, user, recent: int = 5) -> list[tuple[WebhookEndpoint, list[WebhookDelivery]]]:
    """The owner's endpoints, each with its `recent` newest deliveries (the account page)."""
    endpoints = webhook_endpoint_list(user=user)
    return [(endpoint, list(webhook_delivery_list(endpoint=endpoint)[:recent])) for endpoint in endpoints]
