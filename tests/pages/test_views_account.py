"""/account/: enrollments, API token (shown once), download and erase all data."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from account.selectors import account_time_zone
from account.services import account_time_zone_set
from chunks.models import Chunk
from enrollment.models import Enrollment
from tests.factories import ChunkFactory, EnrollmentFactory, UtteranceFactory
from utterances.models import Utterance

URL = "/account/"


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", [URL, URL + "export.json", URL + "erase/"])
def test_it_needs_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("url", [URL + "token/", URL + "token/revoke/", URL + "erase/"])
def test_its_forms_need_csrf(user, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    Token.objects.create(user=user)
    UtteranceFactory(chunk=ChunkFactory(user=user))
    assert client.post(url, {"confirm": user.username}).status_code == 403
    assert Token.objects.filter(user=user).count() == 1 and Utterance.objects.filter(user=user).count() == 1


def test_it_shows_the_account_with_enrollments_and_devices(owner_client, user, other_user):
    old = EnrollmentFactory(user=user)
    new = EnrollmentFactory(user=user)
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error="more than one voice: 30% …", error_code="several_voices")
    EnrollmentFactory(user=other_user)
    ChunkFactory(user=user, device_id="pendant-1")
    ChunkFactory(user=other_user, device_id="their-phone")
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    content = response.content.decode()
    assert f"<h2 id=\"who-title\">{user.username}</h2>" in content
    assert [e.id for e in response.context["enrollments"]][1:] == [new.id, old.id]
    assert content.count("status-badge--active") == 1  # the newest ready one
    assert "More than one voice" in content
    assert "pendant-1" in content and "their-phone" not in content
    assert "You have no token yet." in content
    assert 'href="/account/export.json"' in content and 'href="/account/erase/"' in content


def test_it_shows_a_new_token_once_after_a_redirect(owner_client, user):
    response = owner_client.post(URL + "token/")
    token = Token.objects.get(user=user)
    assert response.status_code == 302 and response["Location"] == URL + "#token"  # post/redirect/get
    shown = owner_client.get(URL)
    assert f'value="{token.key}"' in shown.content.decode()
    assert shown["Cache-Control"].startswith("max-age=0")
    assert "data-copy-target=\"new-token\"" in shown.content.decode()  # the copy button
    again = owner_client.get(URL).content.decode()  # a reload: shows the date, makes no token
    assert token.key not in again
    assert "You have a token, created" in again
    assert Token.objects.get(user=user).key == token.key


def test_it_keeps_the_key_out_of_the_session(owner_client, user):
    owner_client.post(URL + "token/")
    key = Token.objects.get(user=user).key
    assert key not in json.dumps(dict(owner_client.session))


def test_a_head_request_does_not_use_up_the_showing(owner_client, user):
    owner_client.post(URL + "token/")
    assert owner_client.head(URL).status_code == 200
    assert Token.objects.get(user=user).key in owner_client.get(URL).content.decode()


def test_it_shows_nothing_for_a_token_revoked_meanwhile(owner_client, user):
    owner_client.post(URL + "token/")
    Token.objects.filter(user=user).delete()
    Token.objects.create(user=user)  # another tab made one after: not the one this page made
    content = owner_client.get(URL).content.decode()
    assert 'id="new-token"' not in content and "You have a token, created" in content


def test_a_new_token_replaces_the_old_one(owner_client, user):
    old = Token.objects.create(user=user)
    content = owner_client.post(URL + "token/", follow=True).content.decode()
    new = Token.objects.get(user=user)
    assert new.key != old.key and new.key in content and old.key not in content
    assert "the old one no longer works" in content


def test_it_warns_before_a_new_token_replaces_the_old_one(owner_client, user):
    assert "devices using the old token will stop uploading" not in owner_client.get(URL).content.decode()
    Token.objects.create(user=user)
    content = owner_client.get(URL).content.decode()
    assert "devices using the old token will stop uploading" in content
    assert 'data-confirm="Make a new token? The current one stops working at once' in content


def test_it_revokes_the_token(owner_client, user, other_user):
    Token.objects.create(user=user)
    Token.objects.create(user=other_user)
    response = owner_client.post(URL + "token/revoke/", follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert not Token.objects.filter(user=user).exists()
    assert Token.objects.filter(user=other_user).exists()
    assert "Your API token is revoked" in response.content.decode()


def test_it_downloads_the_owners_data_only(owner_client, user, other_user):
    UtteranceFactory(chunk=ChunkFactory(user=user), text="mine to keep")
    UtteranceFactory(chunk=ChunkFactory(user=other_user), text="not mine")
    response = owner_client.get(URL + "export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith(f'attachment; filename="selective-speaker-{user.username}-')
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(b"".join(response.streaming_content))
    assert data["user"]["username"] == user.username
    assert [s["text"] for s in data["segments"]] == ["mine to keep"]


def test_erasing_asks_for_the_username(owner_client, user):
    UtteranceFactory(chunk=ChunkFactory(user=user))
    page = owner_client.get(URL + "erase/").content.decode()
    assert "Type your username, <strong>" in page
    response = owner_client.post(URL + "erase/", {"confirm": "not-my-name"})
    assert response.status_code == 200
    assert "That is not your username" in response.content.decode()
    assert Utterance.objects.filter(user=user).count() == 1


def test_it_erases_everything_and_says_what(owner_client, user, other_user):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    UtteranceFactory(chunk=chunk)
    UtteranceFactory(chunk=chunk, start_ms=2000, end_ms=3000)
    UtteranceFactory(chunk=ChunkFactory(user=other_user))
    Token.objects.create(user=user)
    response = owner_client.post(URL + "erase/", {"confirm": f" {user.username} "})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Your data is erased" in content
    erased = dict(response.context["erased"])
    assert erased["utterances"] == 2 and erased["recordings"] == 1 and erased["voice enrollments"] == 1
    assert erased["audio files"] == 2
    assert "<th scope=\"row\">Utterances</th><td>2</td>" in content
    assert not Chunk.objects.filter(user=user).exists() and not Enrollment.objects.filter(user=user).exists()
    assert Utterance.objects.filter(user=other_user).count() == 1
    assert Token.objects.filter(user=user).exists()  # the account stays


def test_erasing_reports_a_storage_outage(owner_client, user, monkeypatch):
    from selective_speaker.audio_files import StorageUnavailable

    def fail(*, user):
        raise StorageUnavailable("down")

    monkeypatch.setattr("pages.views_account.account_erase", fail)
    response = owner_client.post(URL + "erase/", {"confirm": user.username})
    assert response.status_code == 503
    assert "press the button again" in response.content.decode()


def test_the_header_links_the_account_and_voice_pages(owner_client):
    content = owner_client.get(URL).content.decode()
    assert '<a href="/account/" aria-current="page">Account</a>' in content
    assert '<a href="/enroll/">Your voice</a>' in content


# --- the time zone ---------------------------------------------------------------------------

TIME_ZONE_URL = URL + "time-zone/"


def test_it_saves_the_time_zone_and_shows_it(owner_client, user):
    page = owner_client.get(URL).content.decode()
    assert 'id="time-zone"' in page and "you have not chosen one yet" in page and "data-detect-time-zone" in page
    assert '<option value="Europe/Berlin">' in page
    response = owner_client.post(TIME_ZONE_URL, {"time_zone": "Europe/Berlin"})
    assert (response.status_code, response["Location"]) == (302, URL + "#time-zone")
    assert account_time_zone(user=user) == "Europe/Berlin"
    page = owner_client.get(URL).content.decode()
    assert 'value="Europe/Berlin"' in page and "data-detect-time-zone" not in page
    assert "Times and days are now shown in Europe/Berlin." in page


def test_an_unknown_time_zone_is_a_form_error_and_nothing_is_stored(owner_client, user):
    account_time_zone_set(user=user, time_zone="Asia/Tokyo")
    for bad in ("Mars/Olympus", "", "x" * 65):
        response = owner_client.post(TIME_ZONE_URL, {"time_zone": bad})
        assert response.status_code == 400
        assert response.context["time_zone_form"].errors["time_zone"]
    refused = owner_client.post(TIME_ZONE_URL, {"time_zone": "Mars/Olympus"}).content.decode()
    assert "is not a time zone we know" in refused
    json_error = owner_client.post(TIME_ZONE_URL, {"time_zone": "Mars/Olympus"}, headers={"Accept": "application/json"})
    assert json_error.status_code == 400 and "is not a time zone we know" in json_error.json()["error"]
    assert account_time_zone(user=user) == "Asia/Tokyo"


def test_the_browsers_zone_is_saved_only_while_the_owner_has_none(owner_client, user, other_user):
    detected = {"time_zone": "America/New_York", "detected": "true"}
    first = owner_client.post(TIME_ZONE_URL, detected, headers={"Accept": "application/json"})
    assert first.json() == {"time_zone": "America/New_York", "changed": True}
    owner_client.post(TIME_ZONE_URL, {"time_zone": "Europe/Paris"})
    again = owner_client.post(TIME_ZONE_URL, detected, headers={"Accept": "application/json"})
    assert again.json() == {"time_zone": "Europe/Paris", "changed": False}
    assert account_time_zone(user=user) == "Europe/Paris" and account_time_zone(user=other_user) == ""


def test_the_time_zone_form_needs_a_login_and_csrf(client, user):
    assert client.post(TIME_ZONE_URL, {"time_zone": "Europe/Berlin"}).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(TIME_ZONE_URL, {"time_zone": "Europe/Berlin"}).status_code == 403
    assert account_time_zone(user=user) == ""
