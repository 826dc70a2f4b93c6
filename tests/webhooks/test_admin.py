from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory, WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_staff_see_endpoints_and_deliveries_but_never_the_secret(staff_client):
    endpoint = WebhookEndpointFactory(url="https://hooks.example.org/x")
    delivery = WebhookDeliveryFactory(endpoint=endpoint, response_codes=[503])
    pages = [
        reverse("admin:webhooks_webhookendpoint_changelist"),
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.id]),
        reverse("admin:webhooks_webhookdelivery_changelist"),
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.id]),
    ]
    for page in pages:
        response = staff_client.get(page)
        assert response.status_code == 200, page
        assert endpoint.secret not in response.content.decode()
    assert "evt_test" in staff_client.get(pages[3]).content.decode()  # the payload


def test_the_actions_send_a_test_event_and_turn_endpoints_on(
    staff_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda *args, **kwargs: None)
    endpoint = WebhookEndpointFactory(active=False, consecutive_failures=5)
    changelist = reverse("admin:webhooks_webhookendpoint_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(changelist, {"action": "send_test_event", "_selected_action": [endpoint.id]})
    assert WebhookDelivery.objects.get(endpoint=endpoint).event == "webhook.test"
    staff_client.post(changelist, {"action": "turn_on", "_selected_action": [endpoint.id]})
    endpoint = WebhookEndpoint.objects.get(id=endpoint.id)
    assert endpoint.active and endpoint.consecutive_failures == 0
