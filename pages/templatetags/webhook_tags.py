"""The account page's webhooks section reads its endpoints here (templates/pages/account/webhooks.html)."""

from __future__ import annotations

from django import template

from pages.views_webhooks import WebhookEndpointForm
from webhooks.selectors import webhook_endpoints_overview

register = template.Library()


@register.simple_tag
def webhook_endpoints(user) -> list:
    """(endpoint, its newest deliveries) pairs of the signed-in owner."""
    return webhook_endpoints_overview(user=user) if user.is_authenticated else []


@register.simple_tag
def webhook_form() -> WebhookEndpointForm:
    return WebhookEndpointForm()
