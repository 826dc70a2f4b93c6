from __future__ import annotations

from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookEndpoint

URL = "/api/v1/webhooks/"


def create(api, **body):
    return api.post(URL, {"url": "http://127.0.0.1:9000/hook", "events": ["utterance.created"], **body}, format="json")


def test_it_creates_an_endpoint_and_shows_its_secret_once(api, user, local_webhooks):
    response = create(api, description="notes app")
    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(id=body["id"])
    assert body["secret"] == endpoint.secret and endpoint.user == user
    assert body["events"] == ["utterance.created"] and body["active"] is True and body["description"] == "notes app"
    assert "secret" not in api.get(f"{URL}{endpoint.id}/").json()
    listed = api.get(URL).json()["results"]
    assert [e["id"] for e in listed] == [endpoint.id] and "secret" not in listed[0]


def test_it_answers_400_with_the_reason(api, settings):
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = api.post(URL, {"url": "https://169.254.169.254/latest", "events": ["chunk.processed"]}, format="json")
    assert response.status_code == 400
    assert "private, loopback" in response.json()["error"]["fields"]["url"][0]
    response = api.post(URL, {"url": "https://hooks.example.org/", "events": ["nope"]}, format="json")
    assert response.status_code == 400 and "events" in response.json()["error"]["message"]
    assert api.post(URL, {"url": "not a url", "events": []}, format="json").status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_it_changes_turns_on_and_deletes_an_endpoint(api, user, local_webhooks):
    endpoint = WebhookEndpointFactory(user=user, active=False, consecutive_failures=5, disabled_reason="failures")
    response = api.patch(f"{URL}{endpoint.id}/", {"active": True, "events": ["chunk.processed"]}, format="json")
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["consecutive_failures"]) == (True, 0)
    assert response.json()["events"] == ["chunk.processed"]
    response = api.patch(f"{URL}{endpoint.id}/", {"url": "http://127.0.0.1:9001/new"}, format="json")
    assert response.json()["url"] == "http://127.0.0.1:9001/new"
    assert api.delete(f"{URL}{endpoint.id}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_it_rotates_the_secret(api, user):
    endpoint = WebhookEndpointFactory(user=user)
    response = api.post(f"{URL}{endpoint.id}/secret/")
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert response.json()["secret"] == endpoint.secret and endpoint.secret_rotated_at is not None


def test_it_queues_a_test_event_and_lists_deliveries(api, user, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("selective_speaker.jobs.async_task", lambda *args, **kwargs: None)
    endpoint = WebhookEndpointFactory(user=user)
    older = WebhookDeliveryFactory(endpoint=endpoint, response_codes=[500, 200], status="delivered", attempts=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{URL}{endpoint.id}/test/")
    assert response.status_code == 202
    assert (response.json()["event"], response.json()["status"]) == ("webhook.test", "pending")
    listed = api.get(f"{URL}{endpoint.id}/deliveries/").json()["results"]
    assert [d["id"] for d in listed] == [response.json()["id"], older.id]
    assert listed[1]["response_codes"] == [500, 200] and listed[1]["attempts"] == 2


def test_another_owners_endpoint_is_not_found(api, other_user):
    theirs = WebhookEndpointFactory(user=other_user)
    for method, path in [
        ("get", ""), ("patch", ""), ("delete", ""), ("post", "secret/"), ("post", "test/"), ("get", "deliveries/"),
    ]:  # fmt: skip
        assert getattr(api, method)(f"{URL}{theirs.id}/{path}", {}, format="json").status_code == 404, (method, path)
    assert api.get(URL).json()["results"] == []
    assert WebhookEndpoint.objects.get(id=theirs.id).secret == theirs.secret


def test_it_needs_a_login(client, db):
    assert client.get(URL).status_code in (401, 403)
