"""The timeline in the owner's time zone, its recording rows, and the live refresh's cheap poll
(pages/views_timeline.py, pages/recording_rows.py)."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from account.services import account_time_zone_set
from chunks.models import Chunk
from tests.factories import T0, ChunkFactory, UtteranceFactory

URL = "/timeline/"
PANEL = URL + "processing/"
LATE_EVENING_UTC = datetime(2024, 5, 1, 23, 30, tzinfo=UTC)  # 01:30 on 2 May in Berlin


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def berliner(owner_client, user):
    account_time_zone_set(user=user, time_zone="Europe/Berlin")
    return owner_client


def bubble_ids(response) -> list[int]:
    return [int(part.split('"')[0]) for part in response.content.decode().split('data-segment-id="')[1:]]


# --- local time ------------------------------------------------------------------------------


def test_an_utterance_late_in_utc_is_on_the_next_local_day(berliner, user):
    late = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=LATE_EVENING_UTC), text="after midnight here")
    may_1, may_2 = berliner.get(URL, {"day": "2024-05-01"}), berliner.get(URL, {"day": "2024-05-02"})
    assert late.id not in bubble_ids(may_1)
    assert bubble_ids(may_2) == [late.id]
    content = may_2.content.decode()
    assert "<h1>Thursday 2 May 2024</h1>" in content
    assert 'name="day" value="2024-05-02"' in content  # the picker agrees with the heading
    assert may_2.context["strip"][1].count == 1  # 01:00–02:00 local
    assert "Times in <strong>Europe/Berlin</strong> (CEST)" in content
    assert f'<time datetime="{late.start_ts.astimezone(timezone.get_fixed_timezone(120)):%Y-%m-%dT%H:%M:%S}' in content


def test_the_same_utterance_stays_on_its_utc_day_without_a_zone(owner_client, user):
    late = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=LATE_EVENING_UTC))
    assert bubble_ids(owner_client.get(URL, {"day": "2024-05-01"})) == [late.id]
    content = owner_client.get(URL, {"day": "2024-05-01"}).content.decode()
    assert "the server's time zone" in content and "data-detect-time-zone" in content


def test_search_results_link_the_local_day(berliner, user):
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=LATE_EVENING_UTC), text="midnight snack")
    content = berliner.get(URL, {"q": "snack"}).content.decode()
    assert "day=2024-05-02" in content and "Thursday 2 May 2024" in content
    assert "day=2024-05-01" not in content


def test_today_is_the_owners_today(berliner, user):
    with timezone.override("Europe/Berlin"):
        today = timezone.localdate()
    assert berliner.get(URL).context["filters"].today == today


# --- the day's recordings --------------------------------------------------------------------


def test_every_recording_of_the_day_has_a_row(owner_client, user, other_user):
    said = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=T0, status=Chunk.Status.DONE, segments_count=1))
    ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=5), status=Chunk.Status.DONE, duration_ms=90_000)
    ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=9), status=Chunk.Status.FAILED, error="Not audio.")
    ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=12), status=Chunk.Status.WAITING)
    ChunkFactory(user=other_user, start_ts=T0 + timedelta(minutes=7), device_id="their-secret-device")
    response = owner_client.get(URL, {"day": "2024-05-01"})
    assert [row.label for row in response.context["recordings"]] == [
        "1 utterance",
        "none of your speech",
        "failed: Not audio.",
        "waiting for your voice",
    ]
    content = response.content.decode()
    assert 'id="recordings"' in content and f'<a href="#utterance-{said.id}">1 utterance</a>' in content
    assert "1 min 30 s" in content and "their-secret-device" not in content
    empty = owner_client.get(URL, {"day": "2024-05-03"}).content.decode()
    assert "none this day" in empty


# --- live: the panel as a cheap poll with an ETag --------------------------------------------


def panel_version(response) -> str:
    return html.unescape(response.content.decode().split('data-version="')[1].split('"')[0])


def test_the_poll_answers_304_until_something_changes(berliner, user):
    page = berliner.get(URL, {"day": "2024-05-01"})
    version = panel_version(page)
    poll = f"{PANEL}?day=2024-05-01&device_id="
    assert f'data-refresh-url="{poll.replace("&", "&amp;")}"' in page.content.decode()
    unchanged = berliner.get(poll, headers={"If-None-Match": version})
    assert unchanged.status_code == 304 and unchanged["ETag"] == version
    assert "no-cache" in unchanged["Cache-Control"] and "private" in unchanged["Cache-Control"]

    chunk = ChunkFactory(user=user, start_ts=T0, status=Chunk.Status.QUEUED)
    changed = berliner.get(poll, headers={"If-None-Match": version})
    assert changed.status_code == 200 and changed["ETag"] != version
    assert panel_version(changed) == changed["ETag"]
    assert f'data-chunk-id="{chunk.id}"' in changed.content.decode()
    assert berliner.get(poll, headers={"If-None-Match": changed["ETag"]}).status_code == 304
    Chunk.objects.filter(id=chunk.id).update(status=Chunk.Status.DONE, processed_at=timezone.now(), segments_count=1)
    assert berliner.get(poll, headers={"If-None-Match": changed["ETag"]}).status_code == 200


def test_an_unchanged_poll_costs_five_small_queries(berliner, user):
    ChunkFactory(user=user, start_ts=T0, status=Chunk.Status.PROCESSING)
    poll = f"{PANEL}?day=2024-05-01"
    version = berliner.get(poll)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        assert berliner.get(poll, headers={"If-None-Match": version}).status_code == 304
    # the session, the user, the owner's time zone, the panel's aggregate, the day's aggregate
    assert len(queries) == 5, [query["sql"] for query in queries]


def test_other_owners_changes_do_not_wake_the_page(owner_client, user, other_user):
    poll = f"{PANEL}?day=2024-05-01"
    version = owner_client.get(poll)["ETag"]
    ChunkFactory(user=other_user, start_ts=T0, status=Chunk.Status.QUEUED)
    assert owner_client.get(poll, headers={"If-None-Match": version}).status_code == 304


def test_a_bad_day_in_the_poll_is_todays(owner_client):
    assert owner_client.get(PANEL, {"day": "not a day"}).status_code == 200


def test_todays_page_is_live_a_past_quiet_day_is_not(owner_client, user):
    assert 'data-live="true"' in owner_client.get(URL).content.decode()
    assert 'data-live="false"' in owner_client.get(URL, {"day": "2024-05-01"}).content.decode()
    ChunkFactory(user=user, start_ts=T0 - timedelta(days=30), status=Chunk.Status.PROCESSING)
    assert 'data-live="true"' in owner_client.get(URL, {"day": "2024-05-01"}).content.decode()
