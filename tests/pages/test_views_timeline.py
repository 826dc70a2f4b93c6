from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chunks.models import Chunk
from enrollment.models import Enrollment
from pages.views_timeline import SearchPage
from tests.factories import T0, ChunkFactory, EnrollmentFactory, LocationFactory, UserFactory, UtteranceFactory

URL = "/timeline/"
DAY = "2024-05-01"  # the day of T0 (09:00 UTC)


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def say(user, text: str, *, minutes: float = 0, **chunk_fields):
    return UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(minutes), **chunk_fields), text=text)


def bubble_texts(response) -> list[str]:
    return [segment.text for group in response.context["groups"] for segment in group.utterances]


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


# --- login -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, URL + "processing/"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_it_redirects_the_root_to_the_timeline(owner_client):
    response = owner_client.get("/")
    assert (response.status_code, response["Location"]) == (302, URL)


def test_it_logs_in_and_lands_on_the_timeline(client, user):
    page = client.get("/accounts/login/?next=/timeline/")
    assert page.status_code == 200
    assert b'<label for="id_username">' in page.content and b'<label for="id_password">' in page.content
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "correct horse battery staple", "next": URL},
        follow=True,
    )
    assert response.redirect_chain == [(URL, 302)]
    assert response.context["user"] == user


def test_it_shows_the_login_errors(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content


def test_it_offers_logout_docs_and_admin_to_staff_only(owner_client, user):
    content = owner_client.get(URL).content.decode()
    assert '<form class="logout" method="post" action="/accounts/logout/">' in content
    assert 'href="/api/docs/"' in content
    assert 'href="/admin/"' not in content
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    assert 'href="/admin/"' in owner_client.get(URL).content.decode()
    logged_out = owner_client.post("/accounts/logout/")
    assert (logged_out.status_code, logged_out["Location"]) == (302, "/accounts/login/")
    assert owner_client.get(URL).status_code == 302


# --- the day view ------------------------------------------------------------------------


def test_it_shows_only_the_owners_bubbles_of_the_day(owner_client, user, other_user):
    say(user, "good morning everyone", minutes=0)
    say(user, "see you tomorrow", minutes=24 * 60)
    say(other_user, "somebody else's secret", minutes=5)
    response = owner_client.get(URL, {"day": DAY})
    assert response.status_code == 200
    assert bubble_texts(response) == ["good morning everyone"]
    assert b"somebody else" not in response.content
    assert b"see you tomorrow" not in response.content


def test_it_shows_today_by_default(owner_client, user):
    now = timezone.now()
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=now - timedelta(seconds=5)), text="just now")
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=now - timedelta(days=2)), text="two days ago")
    response = owner_client.get(URL)
    assert response.context["filters"].day == timezone.localdate()
    assert bubble_texts(response) == ["just now"]
    assert b'rel="next"' not in response.content  # no day after today


def test_it_shows_bubbles_in_time_order_grouped_by_conversation(owner_client, user):
    say(user, "third, after ten", minutes=75)
    say(user, "first, at nine", minutes=0)
    say(user, "second, a minute later", minutes=1)
    response = owner_client.get(URL, {"day": DAY})
    groups = response.context["groups"]
    assert [(f"{g.start_ts:%H:%M}", [s.text for s in g.utterances]) for g in groups] == [
        ("09:00", ["first, at nine", "second, a minute later"]),
        ("10:15", ["third, after ten"]),
    ]
    conversation_url = f'href="/timeline/conversations/{groups[0].key}/"'
    assert conversation_url in response.content.decode()  # each header opens its conversation


def test_it_shows_time_device_place_and_uncertainty(owner_client, user):
    UtteranceFactory(
        chunk=ChunkFactory(user=user, start_ts=at(14), device_id="pendant-7", location=LocationFactory(address="Lyon")),
        text="at the market",
        uncertain=True,
    )
    say(user, "no address yet", minutes=20, gps_lat=45.764043, gps_lon=4.835659)
    content = owner_client.get(URL, {"day": DAY}).content.decode()
    assert '<time datetime="2024-05-01T09:14:00+00:00">09:14</time>' in content
    assert "pendant-7" in content
    assert '<span class="place" title="Place">Lyon</span>' in content
    assert '<span class="place" title="Place">45.76404, 4.83566</span>' in content
    assert content.count('class="badge"') == 1


def test_it_cuts_days_in_the_local_time_zone(owner_client, user, settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-4 in May
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=T0 + timedelta(hours=17, minutes=30)), text="late evening")
    on_the_day = owner_client.get(URL, {"day": DAY})
    assert bubble_texts(on_the_day) == ["late evening"]
    assert b">22:30</time>" in on_the_day.content
    assert bubble_texts(owner_client.get(URL, {"day": "2024-05-02"})) == []


def test_it_links_the_previous_and_next_day_keeping_the_device(owner_client, user):
    say(user, "on the watch", device_id="watch")
    content = owner_client.get(URL, {"day": DAY, "device_id": "watch"}).content.decode()
    assert '<a rel="prev" href="?day=2024-04-30&amp;device_id=watch">' in content
    assert '<a rel="next" href="?day=2024-05-02&amp;device_id=watch">' in content
    assert 'href="?day=' + timezone.localdate().isoformat() + '&amp;device_id=watch">Today</a>' in content


def test_it_filters_by_device(owner_client, user):
    say(user, "said into the phone", device_id="phone")
    say(user, "said into the watch", minutes=1, device_id="watch")
    response = owner_client.get(URL, {"day": DAY, "device_id": "watch"})
    assert bubble_texts(response) == ["said into the watch"]
    assert b'<option value="watch" selected>watch</option>' in response.content


def test_it_offers_only_the_users_devices(owner_client, user, other_user):
    say(user, "mine", device_id="phone")
    say(other_user, "theirs", device_id="their-watch")
    response = owner_client.get(URL, {"day": DAY, "device_id": "their-watch"})
    assert response.context["form"].fields["device_id"].choices == [("", "All devices"), ("phone", "phone")]
    assert response.context["form"].errors["device_id"]
    assert bubble_texts(response) == ["mine"]  # the unknown device is ignored, never looked up


def test_it_ignores_an_invalid_day_with_an_error(owner_client, user):
    for day in ("2024-13-45", "not a day", "0001-01-01", "9999-12-31"):
        response = owner_client.get(URL, {"day": day})
        assert response.status_code == 200
        assert response.context["filters"].day == timezone.localdate()
        assert response.context["form"].errors["day"]


def test_it_pages_a_long_day_with_a_cursor(owner_client, user, settings):
    settings.TIMELINE_DAY_PAGE_SIZE = 2
    for minute in (0, 1, 2):
        say(user, f"minute {minute}", minutes=minute)
    first = owner_client.get(URL, {"day": DAY})
    assert bubble_texts(first) == ["minute 0", "minute 1"]
    assert first.context["previous_url"] is None
    assert first.context["next_url"].startswith("/timeline/?")
    assert b"Later utterances" in first.content
    second = owner_client.get(first.context["next_url"])
    assert bubble_texts(second) == ["minute 2"]
    assert second.context["next_url"] is None
    assert bubble_texts(owner_client.get(second.context["previous_url"])) == ["minute 0", "minute 1"]


def test_the_strips_hours_and_the_recording_rows_lead_to_the_page_where_they_start(owner_client, user, settings):
    settings.TIMELINE_DAY_PAGE_SIZE = 2
    for minute in (0, 1, 50, 60, 61, 120):  # 09:00, 09:01, 09:50 | 10:00, 10:01, 11:00
        say(user, f"at {minute}", minutes=minute, device_id="phone" if minute < 60 else "pendant", segments_count=1)
    first = owner_client.get(URL, {"day": DAY})
    cells = {cell.hour: cell.href for cell in first.context["strip"] if cell.count}
    assert cells[9] == "#hour-09"  # this page starts with 09:00
    # each row with speech: its first bubble here, or the page that starts where the row starts
    rows = [row.href for row in first.context["recordings"]]
    assert rows[0] == f"#utterance-{first.context['groups'][0].utterances[0].id}"
    assert [bubble_texts(owner_client.get(href))[0] for href in rows[1:]] == ["at 50", "at 60", "at 120"]
    assert '<a href="#hour-09" title="09:00–10:00' in first.content.decode()
    for hour, texts in ((10, ["at 60", "at 61"]), (11, ["at 120"])):
        link, anchor = cells[hour].split("#")
        assert link.startswith("/timeline/?") and anchor == f"hour-{hour}"
        page = owner_client.get(link)
        assert bubble_texts(page) == texts
        assert page.context["previous_url"]  # the earlier hours are a page back
        assert f'id="hour-{hour}"' in page.content.decode()
    # the second page starts inside 09:00–10:00 (09:50): that hour leads back to where it starts
    second = owner_client.get(first.context["next_url"])
    assert bubble_texts(second) == ["at 50", "at 60"]
    second_cells = {cell.hour: cell.href for cell in second.context["strip"] if cell.count}
    assert second_cells[9] != "#hour-09" and bubble_texts(owner_client.get(second_cells[9].split("#")[0])) == [
        "at 0",
        "at 1",
    ]


def test_a_day_with_many_rows_of_recordings_shows_the_first_and_a_link_to_all(owner_client, user, settings):
    settings.TIMELINE_RECORDING_ROWS_MAX = 2
    for minute, status in ((0, Chunk.Status.DONE), (20, Chunk.Status.FAILED), (40, Chunk.Status.DONE), (41, Chunk.Status.DONE)):
        ChunkFactory(user=user, start_ts=at(minute), status=status, error="Not audio." if status == "failed" else "")
    page = owner_client.get(URL, {"day": DAY})
    assert [row.label for row in page.context["recordings"]] == ["none of your speech", "failed: Not audio."]
    content = page.content.decode()
    assert "Show all 3 rows" in content and "(2 more recordings)" in content
    assert "4 none of your speech" not in content and "3 none of your speech · 1 failed" in content
    every = owner_client.get(URL, {"day": DAY, "recordings": "all"})
    assert len(every.context["recordings"]) == 3 and "Show all" not in every.content.decode()


@pytest.mark.parametrize("query", [{}, {"q": "words"}])
@pytest.mark.parametrize("cursor", ["bz14", "cD1hYmM="])  # "o=x": not an offset; "p=abc": not a time
def test_it_answers_404_to_a_forged_cursor(owner_client, query, cursor):
    assert owner_client.get(URL, {"cursor": cursor, **query}).status_code == 404


def test_it_reads_a_day_in_a_fixed_number_of_queries(owner_client, user):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(URL, {"day": DAY}).status_code == 200
        return len(captured)

    say(user, "one bubble", location=LocationFactory())
    one = queries()
    for minute in range(1, 10):
        say(user, f"bubble {minute}", minutes=minute, location=LocationFactory())
    assert queries() == one


# --- search ------------------------------------------------------------------------------


def test_it_searches_across_all_days_with_highlights(owner_client, user, other_user):
    say(user, "Coffee with Anna", minutes=0)
    say(user, "more coffee please", minutes=3 * 24 * 60)
    say(user, "tea time", minutes=60)
    say(other_user, "their coffee", minutes=5)
    response = owner_client.get(URL, {"day": DAY, "q": "coffee"})
    assert bubble_texts(response) == ["more coffee please", "Coffee with Anna"]  # newest first
    assert [f"{g.starts_at:%Y-%m-%d}" for g in response.context["groups"]] == ["2024-05-04", DAY]
    content = response.content.decode()
    assert "<mark>Coffee</mark> with Anna" in content
    assert "more <mark>coffee</mark> please" in content
    assert "their coffee" not in content
    assert '<a href="?day=2024-05-04">' in content  # each day of results opens that day


def test_it_searches_one_device(owner_client, user):
    say(user, "lunch on the phone", device_id="phone")
    say(user, "lunch on the watch", minutes=1, device_id="watch")
    response = owner_client.get(URL, {"q": "lunch", "device_id": "phone"})
    assert bubble_texts(response) == ["lunch on the phone"]


def test_it_pages_search_results_with_a_more_link(owner_client, user, monkeypatch):
    monkeypatch.setattr(SearchPage, "page_size", 2)
    for day in range(5):
        say(user, f"match on day {day}", minutes=day * 24 * 60)
    seen, url = [], f"{URL}?q=match"
    while url:
        response = owner_client.get(url)
        seen += bubble_texts(response)
        url = response.context["next_url"]
    assert seen == [f"match on day {day}" for day in (4, 3, 2, 1, 0)]
    assert b">More results</a>" not in response.content


def test_it_escapes_text_query_and_errors(owner_client, user):
    say(user, '<script>alert("owned")</script> done', minutes=0)
    ChunkFactory(user=user, status=Chunk.Status.FAILED, error="<img src=x onerror=alert(1)>")
    day = owner_client.get(URL, {"day": DAY}).content.decode()
    assert "<script>alert" not in day and "<img src=x" not in day
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; done" in day
    assert "&lt;img src=x onerror=alert(1)&gt;" in day
    search = owner_client.get(URL, {"q": "<script>"}).content.decode()
    assert "<script>alert" not in search
    # the query's word is "script": each occurrence marked, the markup around it escaped
    assert "&lt;<mark>script</mark>&gt;alert(&quot;owned&quot;)&lt;/<mark>script</mark>&gt; done" in search
    assert 'value="&lt;script&gt;"' in search  # the search box


# --- the processing panel ----------------------------------------------------------------


def test_it_shows_chunks_still_processing(owner_client, user, other_user):
    ChunkFactory(user=user, status=Chunk.Status.QUEUED, device_id="phone")
    ChunkFactory(user=user, status=Chunk.Status.WAITING)
    ChunkFactory(user=user, status=Chunk.Status.PROCESSING)
    ChunkFactory(user=user, status=Chunk.Status.FAILED, error="The file is not audio.")
    ChunkFactory(user=user, status=Chunk.Status.INDETERMINATE)
    ChunkFactory(user=user, status=Chunk.Status.DONE)
    ChunkFactory(user=other_user, status=Chunk.Status.PROCESSING, device_id="not-mine")
    response = owner_client.get(URL)
    statuses = [chunk.status for chunk in response.context["processing_chunks"]]
    assert sorted(statuses) == ["failed", "indeterminate", "processing", "queued", "waiting"]
    content = response.content.decode()
    assert 'data-active="true"' in content and "Still processing" in content
    for label in ("Queued", "Waiting for a voice enrollment", "Processing", "Failed", "Indeterminate"):
        assert f'<span class="chunk-status">{label}</span>' in content
    assert "The file is not audio." in content
    assert "not-mine" not in content
    assert 'src="/static/js/timeline.js"' in content


def test_it_stops_refreshing_when_nothing_is_pending(owner_client, user):
    ChunkFactory(user=user, status=Chunk.Status.FAILED, error="Too long")
    response = owner_client.get(URL + "processing/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content  # the panel alone
    assert 'id="processing"' in content and 'data-active="false"' in content
    assert "Recent uploads that need attention" in content and "Too long" in content


def test_it_hides_the_panel_when_everything_is_done(owner_client, user, other_user):
    old = ChunkFactory(user=user, status=Chunk.Status.FAILED)
    Chunk.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=30))
    ChunkFactory(user=user, status=Chunk.Status.DONE)
    ChunkFactory(user=other_user, status=Chunk.Status.PROCESSING)
    response = owner_client.get(URL + "processing/")
    assert response.context["processing_chunks"] == []
    assert b'data-active="false"' in response.content and b" hidden>" in response.content


# --- empty states ------------------------------------------------------------------------


def test_it_explains_how_to_enroll_first(owner_client):
    content = owner_client.get(URL).content.decode()
    assert "Enroll your voice" in content
    assert "http://testserver/api/v1/enrollments/" in content
    assert "http://testserver/api/v1/auth/token/" in content
    assert "No recordings yet" in content and "/api/v1/chunks/" in content


def test_it_reports_an_enrollment_in_progress_or_rejected(owner_client, user):
    EnrollmentFactory(user=user, status=Enrollment.Status.PROCESSING, voiceprint=None)
    assert "Your voice enrollment is processing" in owner_client.get(URL).content.decode()
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error="Too little speech.", error_code="too_short")
    content = owner_client.get(URL).content.decode()
    assert "Your last enrollment was rejected: Too little speech." in content
    assert "/api/v1/enrollments/" in content


def test_it_says_nothing_about_enrollment_once_one_is_ready(owner_client, user):
    EnrollmentFactory(user=user)
    EnrollmentFactory(user=UserFactory(), status=Enrollment.Status.REJECTED, voiceprint=None)
    assert "Enroll your voice" not in owner_client.get(URL).content.decode()


def test_it_says_when_a_day_has_no_utterances(owner_client, user):
    EnrollmentFactory(user=user)
    say(user, "yesterday's words", minutes=-24 * 60)
    content = owner_client.get(URL, {"day": DAY}).content.decode()
    assert "No utterances on this day." in content
    assert "No recordings yet" not in content


def test_it_says_when_a_search_finds_nothing(owner_client, user):
    say(user, "words")
    content = owner_client.get(URL, {"q": "zebra", "device_id": "phone-1"}).content.decode()
    assert "Nothing you said contains “zebra” on phone-1." in content
