"""Keyset pages of search results through any number of equal ranks and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.pagination import search_position, search_position_parse
from utterances.selectors import utterance_timeline

URL = "/api/v1/utterances/"


def test_it_round_trips_a_position(user):
    utterance = UtteranceFactory(chunk=ChunkFactory(user=user), text="coffee")
    [found] = utterance_timeline(user=user, q="coffee")
    assert search_position_parse(search_position(found, 12)) == ((found.rank, utterance.start_ts, utterance.id), 12)


@pytest.mark.parametrize(
    "position",
    ["", "1|2|3|4", "inf|2024-05-01T09:00:00+00:00|1|1", "0|2024-05-01|-1|1", "0|2024-05-01T09:00:00+00:00|1|-1"],
)
def test_it_refuses_a_position_it_did_not_make(position):
    with pytest.raises(ValueError):
        search_position_parse(position)


def test_it_parses_an_aware_time():
    assert search_position_parse("0.5|2024-05-01T11:00:00+02:00|7|9") == ((0.5, datetime(2024, 5, 1, 9, tzinfo=UTC), 7), 9)


def test_it_pages_forward_and_back_through_equal_ranks_and_times(api, user):
    """Nine results of one rank, three of them at one instant: every page boundary is a tie."""
    same_time = ChunkFactory(user=user, start_ts=T0)
    utterances = [UtteranceFactory(chunk=same_time, text="match here") for _ in range(3)]
    utterances += [
        UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=m)), text="match here")
        for m in range(1, 7)
    ]
    expected = [u.id for u in sorted(utterances, key=lambda u: (u.start_ts, u.id), reverse=True)]
    pages, url = [], URL + "?q=match&page_size=2"
    while url:
        body = api.get(url).json()
        assert body["count"] == 9
        pages.append([b["id"] for b in body["results"]])
        url, last = body["next"], body
    assert [i for page in pages for i in page] == expected
    back, url = [], last["previous"]
    while url:
        body = api.get(url).json()
        back.insert(0, [b["id"] for b in body["results"]])
        url = body["previous"]
    assert back == pages[:-1]
