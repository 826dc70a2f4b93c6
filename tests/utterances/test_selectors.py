from __future__ import annotations

from datetime import timedelta

from tests.factories import T0, ChunkFactory, LocationFactory, UserFactory, UtteranceFactory
from utterances.selectors import (
    utterance_duplicate_takes,
    utterance_hourly_activity,
    utterance_nearest,
    utterance_rows,
    utterance_rows_duplicates,
    utterance_timeline,
    utterances_in_order,
)


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


def test_it_reads_a_page_in_two_queries(user, django_assert_num_queries):
    location = LocationFactory()
    for minute in range(5):
        kept = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(minute), location=location, gps_lat=1, gps_lon=2))
        UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(minute), device_id="pendant"), duplicate_of=kept)
    with django_assert_num_queries(2):  # the rows, then their duplicates
        bubbles = [
            (s.text, s.chunk.location.address, s.chunk.gps_lat, [d.device_id for d in utterance_duplicate_takes(s)])
            for s in utterance_timeline(user=user)
        ]
    assert len(bubbles) == 5 and bubbles[0][1] == "Paris, France" and bubbles[0][3] == ["pendant"]
    unlisted = UtteranceFactory(chunk__user=user)  # read alone, not through the timeline: one query
    assert utterance_duplicate_takes(unlisted) == []


def test_it_reads_a_page_as_plain_rows_and_their_duplicates_only_when_there_are(user, django_assert_num_queries):
    location = LocationFactory()
    alone = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(0), location=location, gps_lat=1, gps_lon=2))
    with django_assert_num_queries(1):  # the rows; no row has duplicates: no second query
        rows = list(utterance_rows(utterance_timeline(user=user)))
        assert utterance_rows_duplicates(rows) == {}
    (row,) = rows
    assert (row.id, row.chunk_id, row.text, row.start_ts, row.device_id) == (
        alone.id, alone.chunk_id, alone.text, alone.start_ts, alone.device_id,
    )
    assert (row.address, row.gps_lat, row.gps_lon, row.duplicate_of_id, row.has_duplicates) == (
        "Paris, France", 1, 2, None, False,
    )
    kept = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(5)))
    takes = [
        UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(5), device_id=device), duplicate_of=kept)
        for device in ("watch", "pendant")
    ]
    with django_assert_num_queries(2):
        rows = list(utterance_rows(utterance_timeline(user=user)))
        duplicates = utterance_rows_duplicates(rows)
    assert [(r.id, r.has_duplicates) for r in rows] == [(kept.id, True), (alone.id, False)]
    assert duplicates == {kept.id: [(takes[0].id, "watch"), (takes[1].id, "pendant")]}
    searched = list(utterance_rows(utterance_timeline(user=user, q=alone.text.split()[0])))
    assert searched and all(isinstance(r.rank, float) for r in searched)


def test_it_lists_one_take_of_words_several_devices_heard(user):
    kept = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(0), device_id="pendant"), text="see you at noon")
    duplicate = UtteranceFactory(
        chunk=ChunkFactory(user=user, start_ts=at(0.04), device_id="phone"), text="see you at noon", duplicate_of=kept
    )
    alone = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(1), device_id="phone"))
    assert list(utterance_timeline(user=user)) == [alone, kept]
    assert list(utterance_timeline(user=user, q="noon")) == [kept]
    assert list(utterance_timeline(user=user, include_duplicates=True)) == [alone, duplicate, kept]
    # one device's list is what it heard
    assert list(utterance_timeline(user=user, device_id="phone")) == [alone, duplicate]
    # the day strip and the nearest speech count the same takes
    assert utterance_hourly_activity(user=user, since=at(-60), until=at(60)) == {9: (3000, 2)}
    assert utterance_hourly_activity(user=user, since=at(-60), until=at(60), device_id="phone") == {9: (3000, 2)}
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(90), device_id="phone"), duplicate_of=kept)
    assert utterance_nearest(user=user, before=at(-1), after=at(30)) == (None, None)


def test_it_reads_utterances_in_order_in_growing_batches_from_a_key(user, django_assert_num_queries):
    chunk = ChunkFactory(user=user, start_ts=at(0))
    said = [UtteranceFactory(chunk=chunk, start_ms=0, end_ms=1000) for _ in range(3)]  # a tie: by id
    said += [UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(minute))) for minute in range(1, 8)]
    UtteranceFactory(chunk=ChunkFactory(user=UserFactory(), start_ts=at(3)))  # someone else's
    timeline = utterance_timeline(user=user)
    assert list(utterances_in_order(timeline, first=2, batch=4)) == said  # batches of 2, 4, 4
    key = (said[1].start_ts, said[1].id)
    assert list(utterances_in_order(timeline, after=key, first=2)) == said[2:]
    assert list(utterances_in_order(timeline, after=key, backwards=True, first=2)) == said[:1]
    assert list(utterances_in_order(timeline, backwards=True, first=3)) == said[::-1]
    with django_assert_num_queries(4):  # stopping after five rows reads two batches (2, then 4), each with its duplicates
        rows = utterances_in_order(timeline, first=2, batch=4)
        assert [next(rows) for _ in range(5)] == said[:5]
