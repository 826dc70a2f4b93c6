"""selective_speaker/api/pagination.py: keyset pages, and a 400 naming `cursor` for any cursor
this API did not give out (issue 11, item 4: a crafted one used to be a 500)."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from tests.factories import ChunkFactory, DecisionReviewFactory, EnrollmentFactory, UtteranceFactory

PAGED = {
    "utterances": "/api/v1/utterances/",
    "chunks": "/api/v1/chunks/",
    "enrollments": "/api/v1/enrollments/",
    "voice-checks": "/api/v1/voice-checks/",
}


def cursor(querystring: str = "", **tokens: str) -> str:
    """A cursor as DRF writes one (base64 of a query string), from raw text or from tokens."""
    return base64.b64encode((querystring or urlencode(tokens)).encode()).decode()


BAD_CURSORS = {
    # the one the issue reports: a position that overflows when converted to UTC
    "year-9999-west-of-utc": "cD05OTk5LTEyLTMxVDIzOjU5OjU5LTIzOjU5",
    "year-1-east-of-utc": cursor(p="0001-01-01 00:00:00+23:59"),
    "year-10000": cursor(p="10000-01-01 00:00:00+00:00"),
    "position-not-a-time": cursor(p="yesterday"),
    "position-no-timezone": cursor(p="2024-05-01 09:30:00"),
    "position-month-13": cursor(p="2024-13-01 09:30:00+00:00"),
    "position-nul-byte": cursor(p="2024-05-01 09:30:00+00:00\x00"),
    "position-10k-chars": cursor(p="2" * 10_000),
    "offset-negative": cursor("o=-1"),
    "offset-words": cursor("o=ten"),
    "offset-5000-digits": cursor("o=" + "9" * 5000),
    "reverse-words": cursor("r=yes"),
    "not-base64": "%%%not-base64",
    "base64-of-binary": base64.b64encode(b"\xff\xfe\x00\x01").decode(),
    "unicode": "curs\u00f6r\u2603",
}


@pytest.fixture
def owner_data(user):
    EnrollmentFactory(user=user)
    UtteranceFactory(chunk__user=user)
    ChunkFactory(user=user)
    DecisionReviewFactory(chunk__user=user)


@pytest.mark.parametrize("url", PAGED.values(), ids=PAGED.keys())
@pytest.mark.parametrize("value", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_it_refuses_a_cursor_it_did_not_give_out_with_400(api, owner_data, url, value):
    response = api.get(url, {"cursor": value})
    assert response.status_code == 400, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "invalid cursor" in error["fields"]["cursor"][0]
    assert error["message"].startswith("cursor: invalid cursor")


@pytest.mark.parametrize("url", PAGED.values(), ids=PAGED.keys())
def test_it_follows_its_own_cursors_both_ways(api, user, url, settings):
    settings.API_PAGE_SIZE = 1
    for _ in range(3):
        EnrollmentFactory(user=user)
        UtteranceFactory(chunk__user=user)
        DecisionReviewFactory(chunk__user=user)
    first = api.get(url).json()
    assert first["next"], first
    second = api.get(first["next"])
    assert second.status_code == 200
    assert second.json()["previous"]
    assert api.get(second.json()["previous"]).status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        cursor(p="2024-05-01 09:30:00+00:00"),
        cursor(o="3", r="1", p="2024-05-01 09:30:00.250000+02:00"),
        cursor(p="9999-12-31 23:59:59+00:00"),
        cursor(o="999999"),
        "",
    ],
    ids=["position", "reversed-with-offset", "year-9999-utc", "huge-offset-is-capped", "empty-is-the-first-page"],
)
def test_it_takes_a_well_formed_cursor(api, owner_data, value):
    assert api.get(PAGED["utterances"], {"cursor": value}).status_code == 200
