"""A day's strip and recording rows, read once per change of the day (pages/day_cache.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chunks.models import Chunk
from pages.day_cache import day_cached
from tests.factories import T0, ChunkFactory, UtteranceFactory

URL = "/timeline/"
DAY = {"day": "2024-05-01"}


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def say(user, minutes: float, **chunk_fields):
    chunk = ChunkFactory(
        user=user, start_ts=T0 + timedelta(minutes=minutes), status=Chunk.Status.DONE, segments_count=1, **chunk_fields
    )
    return UtteranceFactory(chunk=chunk, start_ms=0, end_ms=2000)


def strip_count(response) -> int:
    return response.context["strip_count"]


def test_it_computes_a_part_once_per_version():
    calls = []
    compute = lambda: calls.append(1) or {"rows": len(calls)}  # noqa: E731
    assert day_cached("v1", "rows", compute) == {"rows": 1}
    assert day_cached("v1", "rows", compute) == {"rows": 1} and len(calls) == 1
    assert day_cached("v2", "rows", compute) == {"rows": 2}
    assert day_cached("v1", "strip", compute) == {"rows": 3}


def test_a_second_view_of_an_unchanged_day_does_not_read_the_day_again(owner_client, user):
    for minute in range(5):
        say(user, minute)
    with CaptureQueriesContext(connection) as first:
        owner_client.get(URL, DAY)
    with CaptureQueriesContext(connection) as second:
        page = owner_client.get(URL, DAY)
    assert len(second) == len(first) - 2  # the strip's aggregate and the day's recordings
    assert strip_count(page) == 5 and page.context["recordings"][0].count == 5


def test_every_change_of_the_day_shows_on_the_next_view(owner_client, user, other_user):
    said = say(user, 0)
    assert strip_count(owner_client.get(URL, DAY)) == 1
    later = say(user, 30)  # a recording processed
    page = owner_client.get(URL, DAY)
    assert strip_count(page) == 2 and [row.count for row in page.context["recordings"]] == [1, 1]
    owner_client.post(f"/timeline/segments/{said.id}/delete/")  # an utterance deleted
    assert strip_count(owner_client.get(URL, DAY)) == 1
    Chunk.objects.filter(id=later.chunk_id).update(status=Chunk.Status.FAILED, error="Not audio.")  # a status
    labels = [row.label for row in owner_client.get(URL, DAY).context["recordings"]]
    assert labels[-1] == "failed: Not audio."
    say(other_user, 5)  # someone else's day: no change, and never shown
    assert strip_count(owner_client.get(URL, DAY)) == 1


def test_each_owner_zone_and_device_has_its_own_day(owner_client, user, other_user, client):
    say(user, 0, device_id="phone")
    say(user, 1, device_id="watch")
    assert strip_count(owner_client.get(URL, DAY)) == 2
    assert strip_count(owner_client.get(URL, {**DAY, "device_id": "watch"})) == 1
    client.force_login(other_user)
    assert strip_count(client.get(URL, DAY)) == 0
