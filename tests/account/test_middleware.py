"""The owner's time zone is in force on every page they ask for, never on the API
(account/middleware.py)."""

from __future__ import annotations

from django.utils import timezone

from account.services import account_time_zone_set
from tests.factories import T0, ChunkFactory


def test_it_shows_pages_in_the_owners_zone(client, user):
    account_time_zone_set(user=user, time_zone="Asia/Kolkata")
    client.force_login(user)
    response = client.get("/account/")
    assert response.wsgi_request.owner_time_zone == "Asia/Kolkata"
    assert response.context["page_time_zone"].name == "Asia/Kolkata"
    assert timezone.get_current_timezone_name() == "UTC"  # and it does not outlive the request


def test_it_keeps_the_servers_zone_until_the_owner_chooses(client, user, settings):
    settings.TIME_ZONE = "UTC"
    client.force_login(user)
    response = client.get("/account/")
    assert response.wsgi_request.owner_time_zone == ""
    assert (response.context["page_time_zone"].name, response.context["page_time_zone"].chosen) == ("UTC", False)


def test_it_leaves_anonymous_pages_alone(client, db):
    response = client.get("/accounts/login/")
    assert response.wsgi_request.owner_time_zone == ""


def test_the_api_keeps_utc_with_offsets(client, api, user):
    """Same owner, session (as the web page) and token: datetimes stay UTC ("Z")."""
    account_time_zone_set(user=user, time_zone="Europe/Berlin")
    chunk = ChunkFactory(user=user, start_ts=T0)
    client.force_login(user)
    for caller in (client, api):
        body = caller.get(f"/api/v1/chunks/{chunk.id}/").json()
        assert body["start_ts"] == "2024-05-01T09:00:00Z", body
