"""/timeline/'s day strip, date picker and empty states (tests/utterances/test_views.py has the rest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import T0, ChunkFactory, EnrollmentFactory, UtteranceFactory
from utterances.selectors import utterance_hourly_activity, utterance_nearest

URL = "/timeline/"
DAY = "2024-05-01"


def say(user, text="words said", *, minutes=0.0, length_ms=1500, **chunk_fields):
    chunk = ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=minutes), **chunk_fields)
    return UtteranceFactory(chunk=chunk, text=text, start_ms=0, end_ms=length_ms)


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def test_the_selector_sums_spoken_time_per_local_hour_in_one_query(user, other_user, settings, django_assert_num_queries):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+2 in May: T0 (09:00 UTC) is 11:00
    say(user, minutes=0, length_ms=2_000)
    say(user, minutes=30, length_ms=3_500)
    say(user, minutes=61, length_ms=1_000, device_id="watch")
    say(user, minutes=24 * 60)  # the next day
    say(other_user, minutes=1, length_ms=9_000)
    since = timezone.make_aware(timezone.datetime(2024, 5, 1))
    with django_assert_num_queries(1):
        activity = utterance_hourly_activity(user=user, since=since, until=since + timedelta(days=1))
    assert activity == {11: (5_500, 2), 12: (1_000, 1)}
    assert utterance_hourly_activity(user=user, since=since, until=since + timedelta(days=1), device_id="watch") == {
        12: (1_000, 1)
    }


def test_the_selector_finds_the_nearest_speech_on_either_side(user, other_user):
    before = say(user, minutes=-3 * 24 * 60)
    after = say(user, minutes=5 * 24 * 60, device_id="watch")
    say(other_user, minutes=-60)
    since = T0 - timedelta(hours=9)
    assert utterance_nearest(user=user, before=since, after=since + timedelta(days=1)) == (before.start_ts, after.start_ts)
    assert utterance_nearest(user=user, before=since, after=since + timedelta(days=1), device_id="watch") == (
        None,
        after.start_ts,
    )


def test_it_shows_the_day_strip_with_links_to_the_hours(owner_client, user):
    say(user, minutes=0, length_ms=90_000)  # 09:00
    say(user, minutes=5, length_ms=30_000)
    say(user, minutes=8 * 60)  # 17:00
    response = owner_client.get(URL, {"day": DAY})
    cells = response.context["strip"]
    assert [(c.hour, c.count, c.level) for c in cells if c.count] == [(9, 2, 2), (17, 1, 1)]
    content = response.content.decode()
    assert '<a href="#hour-09" title="09:00–10:00: 2 utterances, 2 min spoken">' in content
    assert 'id="hour-09"' in content and 'id="hour-17"' in content
    assert content.count('class="strip-cell strip-cell--0" aria-hidden="true"') == 22
    assert "2 min 2 s in 3 utterances" in content


def test_the_strip_follows_the_device_filter(owner_client, user):
    say(user, minutes=0, device_id="phone")
    say(user, minutes=120, device_id="watch")
    cells = owner_client.get(URL, {"day": DAY, "device_id": "watch"}).context["strip"]
    assert [c.hour for c in cells if c.count] == [11]


def test_search_results_have_no_strip(owner_client, user):
    say(user, "coffee")
    response = owner_client.get(URL, {"q": "coffee"})
    assert "strip" not in response.context
    assert b'id="day-strip"' not in response.content
    assert b'<input type="hidden" name="day"' in response.content  # refining keeps the day


def test_the_date_picker_sits_with_previous_and_next_day(owner_client, user):
    say(user)
    content = owner_client.get(URL, {"day": DAY}).content.decode()
    # ISO (YYYY-MM-DD) as written, never the browser's locale order of a type=date field
    assert '<input type="text" name="day" value="2024-05-01" form="timeline-filters"' in content
    assert 'placeholder="YYYY-MM-DD"' in content and 'type="date"' not in content
    assert '<form id="timeline-filters"' in content
    assert '<button type="submit" form="timeline-filters">Go</button>' in content
    nav = content[content.index('<nav class="day-nav"') : content.index("</nav>", content.index('<nav class="day-nav"'))]
    assert 'rel="prev"' in nav and 'name="day"' in nav and 'rel="next"' in nav


def test_the_date_picker_takes_iso_days_only(owner_client, user):
    for day in ("05/01/2024", "1.5.2024", "2024-5-1x"):
        response = owner_client.get(URL, {"day": day})
        assert response.status_code == 200
        assert response.context["form"].errors["day"] == ["Write the day as YYYY-MM-DD, e.g. 2024-05-01."]


def test_an_empty_day_links_the_nearest_days_with_speech(owner_client, user):
    EnrollmentFactory(user=user)
    say(user, "earlier", minutes=-2 * 24 * 60)
    say(user, "later", minutes=3 * 24 * 60)
    content = owner_client.get(URL, {"day": DAY}).content.decode()
    assert "No utterances on this day." in content
    assert "Nearest days with speech:" in content
    assert '<a href="?day=2024-04-29">← Monday 29 April 2024</a>' in content
    assert '<a href="?day=2024-05-04">Saturday 4 May 2024 →</a>' in content


def test_without_enrollment_it_links_the_enrollment_page(owner_client):
    content = owner_client.get(URL).content.decode()
    assert '<a class="button" href="/enroll/">Record your voice</a>' in content


def test_without_chunks_it_says_how_to_upload(owner_client, user):
    EnrollmentFactory(user=user)
    content = owner_client.get(URL).content.decode()
    assert "No recordings yet" in content and "/api/v1/chunks/" in content
    assert 'href="/account/"' in content  # where the device's token comes from
