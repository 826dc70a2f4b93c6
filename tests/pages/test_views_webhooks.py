"""/account/: the webhooks section — add (secret shown once), test, turn off/on, new secret, delete."""

from __future__ import annotations

import pytest

from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

ACCOUNT = "/account/"


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def test_the_account_page_lists_endpoints_with_their_latest_deliveries(owner_client, user, other_user):
    endpoint = WebhookEndpointFactory(user=user, url="https://hooks.example.org/mine", description="notes app")
    WebhookDeliveryFactory(endpoint=endpoint, status="failed", response_codes=[500, None], error="attempt 2: no answer")
    WebhookEndpointFactory(user=other_user, url="https://hooks.example.org/theirs")
    page = owner_client.get(ACCOUNT).content.decode()
    assert 'id="webhooks"' in page and "https://hooks.example.org/mine" in page and "notes app" in page
    assert "500, —" in page and "attempt 2: no answer" in page
    assert "theirs" not in page
    assert endpoint.secret not in page


def test_adding_a_webhook_shows_its_secret_once(owner_client, user, settings):
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    response = owner_client.post(
        ACCOUNT + "webhooks/", {"url": "http://127.0.0.1:9000/hook", "events": ["utterance.created", "chunk.processed"]}
    )
    endpoint = WebhookEndpoint.objects.get(user=user)
    assert response.status_code == 302 and response["Location"] == f"/account/webhooks/{endpoint.id}/secret/"
    assert endpoint.events == ["chunk.processed", "utterance.created"]
    assert endpoint.secret in owner_client.get(response["Location"]).content.decode()
    again = owner_client.get(response["Location"]).content.decode()
    assert endpoint.secret not in again and "shown once" in again


def test_a_refused_url_says_why_and_adds_nothing(owner_client, user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    form = {"url": "https://10.0.0.1/hook", "events": ["chunk.processed"]}
    response = owner_client.post(ACCOUNT + "webhooks/", form, follow=True)
    assert "The webhook was not added" in response.content.decode() and "private, loopback" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_buttons_act_on_the_owners_endpoint(owner_client, user, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda *args, **kwargs: None)
    endpoint = WebhookEndpointFactory(user=user)
    base = f"{ACCOUNT}webhooks/{endpoint.id}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post(base + "test/").status_code == 302
    assert WebhookDelivery.objects.get(endpoint=endpoint).event == "webhook.test"
    owner_client.post(base + "toggle/")
    assert not WebhookEndpoint.objects.get(id=endpoint.id).active
    old = endpoint.secret
    rotated = owner_client.post(base + "rotate/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in owner_client.get(rotated["Location"]).content.decode()
    owner_client.post(base + "delete/")
    assert not WebhookEndpoint.objects.exists()


def test_another_owners_endpoint_is_not_found(owner_client, other_user):
    theirs = WebhookEndpointFactory(user=other_user)
    for action in ("test/", "toggle/", "rotate/", "delete/"):
        assert owner_client.post(f"{ACCOUNT}webhooks/{theirs.id}/{action}").status_code == 404
    assert owner_client.get(f"{ACCOUNT}webhooks/{theirs.id}/secret/").status_code == 404
    assert WebhookEndpoint.objects.get(id=theirs.id).active
