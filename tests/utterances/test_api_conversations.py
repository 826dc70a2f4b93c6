"""/api/v1/conversations/: the list (filters, cursor pages) and the exports (formats, errors)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import T0, ChunkFactory, LocationFactory, UtteranceFactory

URL = "/api/v1/conversations/"


def say(user, seconds: float, text: str = "words of the owner", **chunk_fields):
    chunk = ChunkFactory(user=user, start_ts=T0 + timedelta(seconds=seconds), **chunk_fields)
    return UtteranceFactory(chunk=chunk, start_ms=0, end_ms=2000, text=text)


@pytest.fixture
def said(user):
    """Two conversations on 1 May (09:00 and 10:00 UTC), one on 2 May."""
    home = LocationFactory(address="Home")
    return [
        say(user, 0, "Good morning.", location=home, device_id="phone"),
        say(user, 30, "Coffee?", device_id="watch",
            decision={"regions": [{"start_ms": 0, "end_ms": 5000, "similarity": 0.1, "decision": "other"}]}),
        say(user, 3600, "An hour later."),
        say(user, 86_400, "The next day."),
    ]


def test_it_lists_conversations_oldest_first(api, said):
    body = api.get(URL).json()
    assert body["previous"] is None and body["next"] is None
    first = body["results"][0]
    assert first == {
        "id": said[0].id,
        "start_ts": "2024-05-01T09:00:00Z",
        "end_ts": "2024-05-01T09:00:32Z",
        "duration_ms": 32_000,
        "spoken_ms": 4_000,
        "utterance_count": 2,
        "utterance_ids": [said[0].id, said[1].id],
        "place": "Home",
        "device_ids": ["phone", "watch"],
        "others_spoke_ms": 0,  # the other voice spoke during the watch's own utterance, not between
    }
    assert [c["id"] for c in body["results"]] == [said[0].id, said[2].id, said[3].id]


def test_it_filters_by_day_time_and_device(api, said):
    assert [c["id"] for c in api.get(URL, {"day": "2024-05-02"}).json()["results"]] == [said[3].id]
    window = {"from": "2024-05-01T09:30:00Z", "to": "2024-05-01T12:00:00Z"}
    assert [c["id"] for c in api.get(URL, window).json()["results"]] == [said[2].id]
    watch = api.get(URL, {"device_id": "watch"}).json()["results"]
    assert [(c["id"], c["device_ids"]) for c in watch] == [(said[1].id, ["watch"])]


def test_it_pages_with_a_cursor(api, said):
    first = api.get(URL, {"page_size": 2}).json()
    assert [c["id"] for c in first["results"]] == [said[0].id, said[2].id]
    second = api.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == [said[3].id] and second["next"] is None


@pytest.mark.parametrize(
    "query, field",
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "cD1ub3RhdGltZQ=="}, "cursor"),  # "p=notatime"
        ({"day": "2024-13-01"}, "day"),
        ({"day": "2024-05-01", "from": "2024-05-01T00:00:00Z"}, "day"),
        ({"from": "2024-05-02T00:00:00Z", "to": "2024-05-01T00:00:00Z"}, "to"),
        ({"from": "2024-05-01T00:00:00"}, "from"),  # no time zone
        ({"device_id": "x" * 65}, "device_id"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(api, said, query, field):
    response = api.get(URL, query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_it_lists_only_the_owners_conversations(other_api, said):
    assert other_api.get(URL).json()["results"] == []


# --- export -------------------------------------------------------------------------------------


def test_it_exports_a_conversation_as_srt_from_any_of_its_utterances(api, said):
    response = api.get(f"{URL}{said[1].id}/export", {"format": "srt"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-subrip; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="conversation-2024-05-01-0900-{said[0].id}.srt"'
    assert response.content.decode() == (
        "1\n00:00:00,000 --> 00:00:02,000\nGood morning.\n\n2\n00:00:30,000 --> 00:00:32,000\nCoffee?\n"
    )


@pytest.mark.parametrize(
    "format, media_type, starts",
    [
        ("txt", "text/plain", "Conversation of Wednesday 1 May 2024, 09:00"),
        ("md", "text/markdown", "# Conversation of Wednesday 1 May 2024, 09:00"),
        ("vtt", "text/vtt", "WEBVTT - Conversation of"),
        (None, "text/plain", "Conversation of"),  # txt by default
    ],
)
def test_every_export_format(api, said, format, media_type, starts):
    query = {"format": format} if format else {}
    response = api.get(f"{URL}{said[0].id}/export", query, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == f"{media_type}; charset=utf-8"
    assert response.content.decode().startswith(starts)


def test_an_unknown_format_is_a_400_and_anybody_elses_conversation_a_404(api, other_api, said):
    bad = api.get(f"{URL}{said[0].id}/export", {"format": "pdf"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"
    assert bad.json()["error"]["fields"] == {"format": ["one of txt, md, srt, vtt."]}
    missing = other_api.get(f"{URL}{said[0].id}/export", {"format": "srt"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get(f"{URL}999999/export").status_code == 404


def test_it_exports_a_day(api, said):
    response = api.get(f"{URL}export", {"day": "2024-05-01", "format": "vtt"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="day-2024-05-01.vtt"'
    text = response.content.decode()
    assert text.startswith("WEBVTT - Wednesday 1 May 2024\n")
    assert "01:00:00.000 --> 01:00:02.000\nAn hour later." in text and "The next day." not in text
    assert api.get(f"{URL}export", {"format": "vtt"}).status_code == 400  # which day?
