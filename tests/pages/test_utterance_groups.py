from __future__ import annotations

from datetime import timedelta

from pages.utterance_groups import utterance_place, utterances_by_conversation, utterances_by_day
from tests.factories import T0, ChunkFactory, LocationFactory, UtteranceFactory


def test_it_places_a_bubble_at_its_address_or_coordinates(db):
    with_address = UtteranceFactory(chunk=ChunkFactory(location=LocationFactory(address="Lyon"), gps_lat=45, gps_lon=4))
    without_address = UtteranceFactory(chunk=ChunkFactory(gps_lat=45.764043, gps_lon=4.835659))
    nowhere = UtteranceFactory(chunk=ChunkFactory())
    assert utterance_place(with_address) == "Lyon"
    assert utterance_place(without_address) == "45.76404, 4.83566"
    assert utterance_place(nowhere) == ""


def test_it_groups_a_day_by_conversation_and_search_results_by_local_day(db, settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-4 in May
    lyon = LocationFactory(address="Lyon")
    minutes_and_places = [(0, lyon), (1, lyon), (2, None), (30, lyon), (20 * 60, lyon)]
    segments = [
        UtteranceFactory(chunk=ChunkFactory(start_ts=T0 + timedelta(minutes=minutes), location=location))
        for minutes, location in minutes_and_places
    ]
    conversations = utterances_by_conversation(segments)
    assert [[u.id for u in c.utterances] for c in conversations] == [
        [s.id for s in segments[:3]], [segments[3].id], [segments[4].id]
    ]
    assert [c.place for c in conversations] == ["Lyon", "Lyon", "Lyon"]
    assert [len(g.utterances) for g in utterances_by_day(segments)] == [4, 1]
    assert f"{utterances_by_day(segments)[0].starts_at:%Y-%m-%d %H:%M}" == "2024-05-01 00:00"


# --- the day strip ---------------------------------------------------------------------------


def test_it_anchors_the_first_bubble_of_each_hour(db):
    segments = [UtteranceFactory(chunk=ChunkFactory(start_ts=T0 + timedelta(minutes=m))) for m in (0, 1, 61, 62)]
    conversations = utterances_by_conversation(segments)
    assert len(conversations) == 2  # 09:00–09:01 and, after an hour of silence, 10:01–10:02
    assert [u.hour_anchor for c in conversations for u in c.utterances] == ["hour-09", "", "hour-10", ""]


def test_it_makes_24_cells_shaded_by_spoken_time():
    from pages.utterance_groups import day_strip

    cells = day_strip({0: (1_000, 1), 9: (59_999, 2), 10: (60_000, 3), 14: (300_000, 1), 23: (3_600_000, 40)})
    assert [c.hour for c in cells] == list(range(24))
    assert [(c.hour, c.level) for c in cells if c.level] == [(0, 1), (9, 1), (10, 2), (14, 3), (23, 4)]
    assert cells[1].level == 0 and cells[1].label == "01:00–02:00: nothing said"
    assert cells[9].label == "09:00–10:00: 2 utterances, 1 min spoken"
    assert cells[0].label == "00:00–01:00: 1 utterance, 1 s spoken"
    assert cells[23].label == "23:00–00:00: 40 utterances, 1 h spoken"
    assert cells[14].anchor == "hour-14"


def test_it_says_durations_as_people_do():
    from pages.utterance_groups import spoken_duration

    assert [spoken_duration(ms) for ms in (400, 45_000, 60_000, 200_000, 3_900_000, 7_200_000)] == [
        "0 s", "45 s", "1 min", "3 min 20 s", "1 h 5 min", "2 h",
    ]
