from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import T0, ChunkFactory, LocationFactory, UtteranceFactory
from utterances.models import Utterance

URL = "/api/v1/utterances/"


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def test_it_returns_bubbles(api, user):
    chunk = ChunkFactory(
        user=user,
        start_ts=at(0),
        device_id="pendant",
        gps_lat=48.8566,
        gps_lon=2.3522,
        location=LocationFactory(address="Paris, France"),
    )
    segment = UtteranceFactory(chunk=chunk, start_ms=2000, end_ms=3500, text="see you at noon", confidence=0.87)
    body = api.get(URL).json()
    assert body["results"] == [
        {
            "id": segment.id,
            "chunk_id": chunk.id,
            "text": "see you at noon",
            "start_ts": "2024-05-01T09:00:02Z",
            "end_ts": "2024-05-01T09:00:03.500000Z",
            "device_id": "pendant",
            "address": "Paris, France",
            "gps_lat": 48.8566,
            "gps_lon": 2.3522,
            "confidence": 0.87,
            "uncertain": False,
            "duplicate_of": None,
            "duplicates": [],
            "highlight": None,
        }
    ]
    assert body["next"] is None


def test_it_has_no_place_without_a_position(api, user):
    UtteranceFactory(chunk=ChunkFactory(user=user))
    bubble = api.get(URL).json()["results"][0]
    assert (bubble["address"], bubble["gps_lat"], bubble["gps_lon"]) == (None, None, None)


def test_it_pages_with_a_cursor_through_equal_times(api, user):
    chunk = ChunkFactory(user=user)
    segments = [UtteranceFactory(chunk=chunk, start_ms=0) for _ in range(3)]  # same start_ts
    segments += [UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(-m))) for m in range(1, 5)]
    expected = [s.id for s in sorted(segments, key=lambda s: (s.start_ts, s.id), reverse=True)]
    seen, url = [], URL + "?page_size=2"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) <= 2
        seen += [b["id"] for b in page["results"]]
        url = page["next"]
    assert seen == expected


def test_it_caps_the_page_size(api, user, settings):
    settings.API_MAX_PAGE_SIZE = 3
    for m in range(5):
        UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(m)))
    assert len(api.get(URL, {"page_size": 100}).json()["results"]) == 3


def test_it_filters(api, user):
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(0)), text="coffee at nine")
    watch = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(60), device_id="watch"), text="Lunch plans")
    late = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(120)), text="more coffee")

    def ids(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return [b["id"] for b in response.json()["results"]]

    assert ids(since="2024-05-01T10:00:00Z") == [late.id, watch.id]
    assert ids(since="2024-05-01T12:00:00+02:00", until="2024-05-01T10:30:00Z") == [watch.id]
    assert ids(device_id="watch") == [watch.id]
    assert ids(q="LUNCH") == [watch.id]
    assert ids(q="coffee", since="2024-05-01T10:00:00Z") == [late.id]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "last tuesday"}, "since"),
        ({"since": "2024-05-01T10:00:00"}, "since"),  # no timezone
        ({"until": "2024-02-30T10:00:00Z"}, "until"),
        ({"since": "2024-05-02T00:00:00Z", "until": "2024-05-01T00:00:00Z"}, "until"),
        ({"device_id": "not a device/../"}, "device_id"),
        ({"q": "x" * 201}, "q"),
        ({"include_duplicates": "perhaps"}, "include_duplicates"),
    ],
)
def test_it_refuses_malformed_filters(api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_it_shows_only_the_users_own_utterances(api, other_api, user, other_user):
    mine = UtteranceFactory(chunk=ChunkFactory(user=user))
    theirs = UtteranceFactory(chunk=ChunkFactory(user=other_user))
    assert [b["id"] for b in api.get(URL).json()["results"]] == [mine.id]
    assert [b["id"] for b in other_api.get(URL).json()["results"]] == [theirs.id]


def test_it_requires_authentication(db, client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "not_authenticated", "message": "Authentication credentials were not provided."}
    }


def test_it_accepts_session_authentication(db, client, user):
    client.force_login(user)
    assert client.get(URL).status_code == 200


def test_it_deletes_an_utterance_at_once(api, user):
    kept, deleted = UtteranceFactory(chunk__user=user), UtteranceFactory(chunk__user=user)

    assert api.delete(f"/api/v1/utterances/{deleted.id}/").status_code == 204

    assert [u["id"] for u in api.get("/api/v1/utterances/").json()["results"]] == [kept.id]
    deleted.chunk.refresh_from_db()
    assert deleted.chunk.suppressed_spans == [[deleted.start_ms, deleted.end_ms]]


def test_it_does_not_delete_another_users_utterance(api, other_user):
    theirs = UtteranceFactory(chunk__user=other_user)

    assert api.delete(f"/api/v1/utterances/{theirs.id}/").status_code == 404
    assert api.delete("/api/v1/utterances/999999/").status_code == 404

    theirs.refresh_from_db()


# --- search ----------------------------------------------------------------------------------


def test_it_searches_with_a_count_and_highlights(api, user, other_user):
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(0)), text='Lips & "mouth"')
    UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(1)), text="mouth only")
    UtteranceFactory(chunk=ChunkFactory(user=other_user, start_ts=at(2)), text="lips and mouth")
    body = api.get(URL, {"q": "mouth, LIPS"}).json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    [bubble] = body["results"]
    assert bubble["text"] == 'Lips & "mouth"'
    assert bubble["highlight"] == "<mark>Lips</mark> &amp; &quot;<mark>mouth</mark>&quot;"


def test_it_counts_only_with_a_query(api, user):
    UtteranceFactory(chunk=ChunkFactory(user=user), text="coffee")
    assert "count" not in api.get(URL).json()
    body = api.get(URL, {"q": "zebra"}).json()
    assert (body["count"], body["results"], body["next"]) == (0, [], None)


def test_it_counts_every_page_of_results(api, user):
    for minute in range(5):
        UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(minute)), text=f"match {minute}")
    first = api.get(URL, {"q": "match", "page_size": 2}).json()
    second = api.get(first["next"]).json()
    assert (first["count"], second["count"]) == (5, 5)
    assert [b["text"] for b in first["results"] + second["results"]] == ["match 4", "match 3", "match 2", "match 1"]


def test_it_sorts_results_newest_first_on_request(api, user):
    old = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(0)), text="coffee coffee coffee")
    new = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(5)), text="coffee, then tea")
    assert [b["id"] for b in api.get(URL, {"q": "coffee", "order": "newest"}).json()["results"]] == [new.id, old.id]
    assert api.get(URL, {"q": "coffee", "order": "oldest"}).json()["error"]["fields"].keys() == {"order"}


@pytest.mark.parametrize(
    "position",
    [
        "abc",
        "0.0|2024-05-01T09:00:00+00:00|1",  # too few parts
        "x|2024-05-01T09:00:00+00:00|1|1",
        "nan|2024-05-01T09:00:00+00:00|1|1",
        "0.0|last tuesday|1|1",
        "0.0|2024-05-01T09:00:00|1|1",  # no time zone
        "0.0|2024-05-01T09:00:00+00:00|0|1",
        f"0.0|2024-05-01T09:00:00+00:00|{2**63}|1",
        "0.0|2024-05-01T09:00:00+00:00|1|many",
    ],
)
def test_it_refuses_a_search_cursor_it_did_not_give(api, position):
    from base64 import b64encode
    from urllib.parse import urlencode

    cursor = b64encode(urlencode({"p": position}).encode()).decode()
    for forged in (cursor, "not base64!"):
        response = api.get(URL, {"q": "coffee", "cursor": forged})
        assert response.status_code == 400
        assert "cursor" in response.json()["error"]["fields"]


@pytest.mark.parametrize("q", [None, "words"])
def test_it_writes_each_bubble_as_its_declared_fields_would(user, q):
    from rest_framework import serializers

    from utterances.api import UtteranceListApi
    from utterances.selectors import utterance_rows, utterance_rows_duplicates, utterance_timeline

    UtteranceFactory(chunk=ChunkFactory(user=user, gps_lat=1.5, gps_lon=2.5, location=LocationFactory()), text="words")
    kept = UtteranceFactory(chunk=ChunkFactory(user=user), text="more words", uncertain=True)
    UtteranceFactory(chunk=ChunkFactory(user=user, device_id="pendant"), text="more words", duplicate_of=kept)
    rows = list(utterance_rows(utterance_timeline(user=user, q=q, include_duplicates=True)))
    assert len(rows) == 3
    for zone in (timezone.get_current_timezone(), ZoneInfo("Europe/Berlin")):
        with timezone.override(zone):
            context = {"q": q, "duplicates": utterance_rows_duplicates(rows), "zone": timezone.get_current_timezone()}
            serializer = UtteranceListApi.OutputSerializer(context=context)
            for row in rows:
                assert serializer.to_representation(row) == serializers.Serializer.to_representation(serializer, row)


@pytest.mark.parametrize("q", ["'", "\\", "&|!():*", "fish:*", "<-> <2>", "%", "_", "Straße", "日本語 テスト", "?"])
def test_it_searches_for_anything_typed(api, user, q):
    UtteranceFactory(chunk=ChunkFactory(user=user), text=f"said {q} here")
    response = api.get(URL, {"q": q})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_it_lists_one_take_of_words_two_devices_heard_and_says_where_else(api, user, other_api):
    kept = UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=at(0), device_id="pendant"), text="see you at noon")
    phone = UtteranceFactory(
        chunk=ChunkFactory(user=user, start_ts=at(0.04), device_id="phone"), text="see you at noon", duplicate_of=kept
    )
    (bubble,) = api.get(URL).json()["results"]
    assert (bubble["id"], bubble["duplicate_of"]) == (kept.id, None)
    assert bubble["duplicates"] == [{"id": phone.id, "device_id": "phone"}]

    every = api.get(URL, {"include_duplicates": "true"}).json()["results"]
    assert [(b["id"], b["duplicate_of"], b["duplicates"]) for b in every] == [
        (phone.id, kept.id, []),
        (kept.id, None, [{"id": phone.id, "device_id": "phone"}]),
    ]
    assert [b["id"] for b in api.get(URL, {"device_id": "phone"}).json()["results"]] == [phone.id]
    assert other_api.get(URL, {"include_duplicates": "true"}).json()["results"] == []


def test_deleting_a_kept_utterance_deletes_its_duplicates(api, user, other_api):
    kept = UtteranceFactory(chunk=ChunkFactory(user=user, device_id="pendant"), text="see you at noon")
    phone = UtteranceFactory(chunk=ChunkFactory(user=user, device_id="phone"), text="see you at noon", duplicate_of=kept)
    assert other_api.delete(f"{URL}{kept.id}/").status_code == 404
    assert api.delete(f"{URL}{kept.id}/").status_code == 204
    assert not Utterance.objects.filter(id__in=[kept.id, phone.id]).exists()
