from __future__ import annotations

from datetime import timedelta

from pages.utterance_groups import highlight_matches, utterance_place, utterances_by_day, utterances_by_hour
from tests.factories import T0, ChunkFactory, LocationFactory, UtteranceFactory


def test_it_highlights_every_match_ignoring_case():
    assert highlight_matches("Coffee? more coffee", "coffee") == "<mark>Coffee</mark>? more <mark>coffee</mark>"


def test_it_escapes_the_text_and_the_query():
    html = highlight_matches('<script>alert("x")</script> & <b>bold</b>', "<b>")
    assert html == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <mark>&lt;b&gt;</mark>bold&lt;/b&gt;"


def test_it_never_marks_inside_an_escaped_entity():
    assert highlight_matches("fish & chips", "amp") == "fish &amp; chips"


def test_it_treats_the_query_as_plain_text():
    assert highlight_matches("a.b axb", ".") == "a<mark>.</mark>b axb"


def test_it_escapes_without_a_query():
    assert highlight_matches("<i>hi</i>", "") == "&lt;i&gt;hi&lt;/i&gt;"


def test_it_places_a_bubble_at_its_address_or_coordinates(db):
    with_address = UtteranceFactory(chunk=ChunkFactory(location=LocationFactory(address="Lyon"), gps_lat=45, gps_lon=4))
    without_address = UtteranceFactory(chunk=ChunkFactory(gps_lat=45.764043, gps_lon=4.835659))
    nowhere = UtteranceFactory(chunk=ChunkFactory())
    assert utterance_place(with_address) == "Lyon"
    assert utterance_place(without_address) == "45.76404, 4.83566"
    assert utterance_place(nowhere) == ""


def test_it_groups_bubbles_by_local_hour_and_day(db, settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-4 in May
    lyon = LocationFactory(address="Lyon")
    hours_and_places = [(0, lyon), (0.5, lyon), (1, None), (20, lyon)]
    segments = [
        UtteranceFactory(chunk=ChunkFactory(start_ts=T0 + timedelta(hours=hours), location=location))
        for hours, location in hours_and_places
    ]
    by_hour = utterances_by_hour(segments)
    assert [(g.starts_at.isoformat(), len(g.utterances)) for g in by_hour] == [
        ("2024-05-01T05:00:00-04:00", 2),
        ("2024-05-01T06:00:00-04:00", 1),
        ("2024-05-02T01:00:00-04:00", 1),
    ]
    assert [g.place for g in by_hour] == ["Lyon", "", "Lyon"]
    assert [len(g.utterances) for g in utterances_by_day(segments)] == [3, 1]


# --- the day strip ---------------------------------------------------------------------------


def test_it_anchors_the_first_group_of_each_hour(db):
    segments = [UtteranceFactory(chunk=ChunkFactory(start_ts=T0 + timedelta(minutes=m))) for m in (0, 5, 70)]
    assert [g.anchor for g in utterances_by_hour(segments)] == ["hour-09", "hour-10"]
    assert [g.anchor for g in utterances_by_day(segments)] == [""]


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
