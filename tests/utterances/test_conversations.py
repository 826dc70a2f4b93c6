"""utterances.conversations: the one rule that groups utterances into conversations, the "others
spoke here" markers from the chunks' audit records, and the reads the page, API and export share."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from tests.factories import T0, ChunkFactory, LocationFactory, UserFactory, UtteranceFactory
from utterances.conversations import (
    ConversationRules,
    conversation_containing,
    conversations_between,
    conversations_of,
    conversations_page,
    other_speech_spans,
    others_markers,
    spoken_duration,
)

RULES = ConversationRules(gap_ms=120_000, split_on_place=True)


def row(id, start_s, end_s, *, place=None, gps=None, device="phone"):
    """An utterance as the rule sees it: times, device, its chunk's place (no database)."""
    location = SimpleNamespace(address=place) if place else None
    lat, lon = gps or (None, None)
    return SimpleNamespace(
        id=id,
        start_ts=T0 + timedelta(seconds=start_s),
        end_ts=T0 + timedelta(seconds=end_s),
        start_ms=0,
        end_ms=round((end_s - start_s) * 1000),
        device_id=device,
        chunk=SimpleNamespace(location=location, gps_lat=lat, gps_lon=lon),
    )


def keys(conversations) -> list[list[int]]:
    return [[u.id for u in c.utterances] for c in conversations]


def test_it_splits_on_a_silence_longer_than_the_gap():
    rows = [row(1, 0, 5), row(2, 125, 130), row(3, 250.001, 255)]
    assert keys(conversations_of(rows, rules=RULES)) == [[1, 2], [3]]


def test_it_measures_the_gap_from_the_latest_end_across_devices():
    # the watch's long utterance bridges the phone's silence
    rows = [row(1, 0, 5), row(2, 3, 200, device="watch"), row(3, 300, 302)]
    (conversation,) = conversations_of(rows, rules=RULES)
    assert conversation.device_ids == ["phone", "watch"]
    assert conversation.duration_ms == 302_000
    assert conversation.spoken_ms == 5_000 + 197_000 + 2_000


def test_a_change_of_place_splits_but_an_unknown_place_does_not():
    rows = [row(1, 0, 5, place="Home"), row(2, 10, 15), row(3, 20, 25, place="Home"), row(4, 30, 35, place="Café")]
    conversations = conversations_of(rows, rules=RULES)
    assert keys(conversations) == [[1, 2, 3], [4]]
    assert [c.place for c in conversations] == ["Home", "Café"]
    assert keys(conversations_of(rows, rules=ConversationRules(gap_ms=120_000, split_on_place=False))) == [[1, 2, 3, 4]]


def test_gps_jitter_is_no_change_of_place():
    rows = [
        row(1, 0, 5, gps=(45.76404, 4.83566)), row(2, 10, 15, gps=(45.76411, 4.83561)), row(3, 20, 25, gps=(45.8, 4.9))
    ]
    assert keys(conversations_of(rows, rules=RULES)) == [[1, 2], [3]]


def test_a_conversation_has_a_key_times_and_length():
    (conversation,) = conversations_of([row(7, 0, 4), row(8, 60, 64.5)], rules=RULES)
    assert conversation.key == 7
    assert (conversation.start_ts, conversation.end_ts) == (T0, T0 + timedelta(seconds=64.5))
    assert spoken_duration(conversation.duration_ms) == "1 min 4 s"
    assert conversation.place == "" and conversation.others == []


def test_it_reads_other_voices_from_the_audit_records_only():
    regions = [
        {"start_ms": 1000, "end_ms": 4000, "similarity": 0.1, "decision": "other"},
        {"start_ms": 5000, "end_ms": 6000, "similarity": 0.7, "decision": "owner"},
        {"start_ms": 6000, "end_ms": 7000, "similarity": 0.57, "decision": "uncertain"},
        {"start_ms": 3500, "end_ms": 4500, "decision": "other"},  # overlaps the first: merged
        {"end_ms": 10},  # damaged: ignored
        "not a region",
    ]
    other_chunk = [{"start_ms": 0, "end_ms": 500, "decision": "other"}]
    spans = other_speech_spans([(T0, regions), (T0 + timedelta(minutes=1), other_chunk), (T0, None)])
    assert spans == [
        (T0 + timedelta(seconds=1), T0 + timedelta(seconds=4.5)),
        (T0 + timedelta(minutes=1), T0 + timedelta(minutes=1, seconds=0.5)),
    ]


def test_it_marks_where_others_spoke_between_the_owners_words():
    rows = [row(1, 0, 2), row(2, 10, 12), row(3, 12.5, 14), row(4, 100, 101)]
    spans = [
        (T0 + timedelta(seconds=1), T0 + timedelta(seconds=6)),  # 4 s in the silence after row 1
        (T0 + timedelta(seconds=12.1), T0 + timedelta(seconds=12.4)),  # too short to mark
        (T0 + timedelta(seconds=50), T0 + timedelta(seconds=52.5)),
    ]
    markers = others_markers(rows, spans)
    assert [(m.after, m.ms) for m in markers] == [(1, 4000), (3, 2500)]
    (conversation,) = conversations_of(rows, rules=RULES, others=spans)
    assert conversation.others_ms == 6500
    assert [getattr(item, "ms", None) or item.id for item in conversation.items()] == [1, 4000, 2, 3, 2500, 4]


# --- the reads ---------------------------------------------------------------------------------


def say(user, seconds: float, length_s: float = 2, **chunk_fields):
    chunk = ChunkFactory(user=user, start_ts=T0 + timedelta(seconds=seconds), **chunk_fields)
    return UtteranceFactory(chunk=chunk, start_ms=0, end_ms=round(length_s * 1000))


@pytest.fixture
def day(db):
    """Three conversations of one owner (the second at another place), and a stranger's words."""
    user = UserFactory()
    home, cafe = LocationFactory(address="Home"), LocationFactory(address="Café")
    said = [say(user, 0, location=home), say(user, 60), say(user, 100, location=cafe), say(user, 1000), say(user, 1090)]
    say(UserFactory(), 30)
    return user, said


def test_it_groups_a_users_day_and_nobody_elses(day):
    user, said = day
    conversations = conversations_between(user=user, since=T0, until=T0 + timedelta(days=1))
    assert keys(conversations) == [[said[0].id, said[1].id], [said[2].id], [said[3].id, said[4].id]]
    device = conversations_between(user=user, device_id="another-device")
    assert device == []


def test_any_utterance_finds_its_whole_conversation(day, django_assert_max_num_queries):
    user, said = day
    for member in (said[3], said[4]):
        found = conversation_containing(user=user, utterance_id=member.id)
        assert found.key == said[3].id and len(found.utterances) == 2
    assert conversation_containing(user=UserFactory(), utterance_id=said[0].id) is None
    with django_assert_max_num_queries(6):
        conversation_containing(user=user, utterance_id=said[1].id, words=True)


def test_it_marks_other_voices_heard_in_the_owners_chunks(db):
    user = UserFactory()
    chunk = ChunkFactory(
        user=user, start_ts=T0, duration_ms=30_000,
        decision={"regions": [{"start_ms": 3000, "end_ms": 9000, "similarity": 0.2, "decision": "other"}]},
    )
    first = UtteranceFactory(chunk=chunk, start_ms=0, end_ms=2000)
    UtteranceFactory(chunk=chunk, start_ms=10_000, end_ms=12_000)
    found = conversation_containing(user=user, utterance_id=first.id)
    assert [(m.after, m.ms) for m in found.others] == [(first.id, 6000)]


def test_it_pages_conversations_forward(day):
    user, said = day
    first, following = conversations_page(user=user, after=None, size=2)
    assert keys(first) == [[said[0].id, said[1].id], [said[2].id]]
    assert following == (said[3].start_ts, said[3].id)
    rest, end = conversations_page(user=user, after=following, size=2)
    assert keys(rest) == [[said[3].id, said[4].id]] and end is None
