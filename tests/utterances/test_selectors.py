from __future__ import annotations

from datetime import timedelta

from tests.factories import T0, ChunkFactory, LocationFactory, UtteranceFactory
from utterances.selectors import utterance_timeline


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def test_it_lists_the_users_segments_newest_first(user, other_user):
    chunk = ChunkFactory(user=user, start_ts=at(0))
    a = UtteranceFactory(chunk=chunk, start_ms=0, end_ms=1500)
    b = UtteranceFactory(chunk=chunk, start_ms=5000, end_ms=7000)
    c = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(10)))
    UtteranceFactory(chunk=ChunkFactory(user=other_user, start_ts=at(5)))
    assert list(utterance_timeline(user=user)) == [c, b, a]


def test_it_breaks_ties_by_id(user):
    chunk = ChunkFactory(user=user)
    first = UtteranceFactory(chunk=chunk)
    second = UtteranceFactory(chunk=chunk)
    assert list(utterance_timeline(user=user)) == [second, first]


def test_it_filters_by_time_device_and_text(user):
    early = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(0)), text="Coffee at nine")
    middle = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(60), device_id="watch"), text="lunch plans")
    late = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(120)), text="more COFFEE please")
    assert list(utterance_timeline(user=user, since=at(60))) == [late, middle]
    assert list(utterance_timeline(user=user, until=at(60))) == [early]  # until is exclusive
    assert list(utterance_timeline(user=user, since=at(0), until=at(61))) == [middle, early]
    assert list(utterance_timeline(user=user, device_id="watch")) == [middle]
    assert list(utterance_timeline(user=user, q="coffee")) == [late, early]
    assert list(utterance_timeline(user=user, q="coffee", device_id="watch")) == []


def test_it_reads_a_page_in_one_query(user, django_assert_num_queries):
    location = LocationFactory()
    for minute in range(5):
        UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(minute), location=location, gps_lat=1, gps_lon=2))
    with django_assert_num_queries(1):
        bubbles = [(s.text, s.chunk.location.address, s.chunk.gps_lat) for s in utterance_timeline(user=user)]
    assert len(bubbles) == 5 and bubbles[0][1] == "Paris, France"
