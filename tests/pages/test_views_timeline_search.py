"""/timeline/?q=: the search results page — count, highlights, order, pages (utterances.search)."""

from __future__ import annotations

from base64 import b64encode
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection

from pages.views_timeline import SearchPage
from tests.factories import T0, ChunkFactory, UtteranceFactory

URL = "/timeline/"


def say(user, text: str, *, minutes: float = 0, **chunk_fields):
    chunk = ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=minutes), **chunk_fields)
    return UtteranceFactory(chunk=chunk, text=text)


def bubble_texts(response) -> list[str]:
    return [utterance.text for group in response.context["groups"] for utterance in group.utterances]


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def test_it_finds_every_word_in_any_order_and_says_how_many(owner_client, user, other_user):
    say(user, "Lips and mouth.", minutes=0)
    say(user, "my mouth, then my lips", minutes=1)
    say(user, "lips only", minutes=2)
    say(other_user, "lips and mouth", minutes=3)
    response = owner_client.get(URL, {"q": "LIPS, mouth"})
    assert sorted(bubble_texts(response)) == ["Lips and mouth.", "my mouth, then my lips"]
    content = response.content.decode()
    assert '<strong class="search-count">2 results</strong> for “<strong>LIPS, mouth</strong>”' in content
    assert "<mark>Lips</mark> and <mark>mouth</mark>." in content
    assert "my <mark>mouth</mark>, then my <mark>lips</mark>" in content


def test_it_says_one_result(owner_client, user):
    say(user, "coffee with Anna")
    assert '<strong class="search-count">1 result</strong>' in owner_client.get(URL, {"q": "coffee"}).content.decode()


def test_it_counts_every_page_and_pages_through_ties(owner_client, user, monkeypatch):
    monkeypatch.setattr(SearchPage, "page_size", 2)
    for minute in range(5):
        say(user, "same words here", minutes=minute)
    seen, url = [], f"{URL}?q=words"
    assert b">More results</a>" in owner_client.get(url).content
    while url:
        response = owner_client.get(url)
        assert response.context["result_count"] == 5
        seen += [u.id for group in response.context["groups"] for u in group.utterances]
        url = response.context["next_url"]
    assert len(seen) == len(set(seen)) == 5
    back = owner_client.get(response.context["previous_url"])
    assert [u.id for group in back.context["groups"] for u in group.utterances] == seen[2:4]


def test_it_offers_the_other_order(owner_client, user):
    say(user, "coffee coffee coffee", minutes=0)
    say(user, "coffee, then tea", minutes=5)
    newest = owner_client.get(URL, {"q": "coffee", "order": "newest"})
    assert bubble_texts(newest) == ["coffee, then tea", "coffee coffee coffee"]
    assert "newest first." in newest.content.decode() and "Best match first</a>" in newest.content.decode()
    best = owner_client.get(URL, {"q": "coffee"}).content.decode()
    if connection.vendor == "postgresql":
        assert "best match first." in best and "Newest first</a>" in best
    else:  # no ranking: newest first, nothing to switch to
        assert "newest first." in best and "Newest first</a>" not in best


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL ranks results")
def test_it_shows_the_best_match_first(owner_client, user):
    say(user, "coffee, then tea", minutes=5)
    say(user, "coffee coffee coffee", minutes=0)
    assert bubble_texts(owner_client.get(URL, {"q": "coffee"})) == ["coffee coffee coffee", "coffee, then tea"]


def test_it_escapes_the_text_around_the_marks(owner_client, user):
    say(user, '<img src=x onerror=alert(1)> coffee & "tea"')
    content = owner_client.get(URL, {"q": "coffee tea"}).content.decode()
    assert "<img src=x" not in content
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>coffee</mark> &amp; &quot;<mark>tea</mark>&quot;" in content


def test_it_answers_404_to_a_forged_search_cursor(owner_client, user):
    say(user, "coffee")
    forged = b64encode(urlencode({"p": "0.1|yesterday|1|1"}).encode()).decode()
    assert owner_client.get(URL, {"q": "coffee", "cursor": forged}).status_code == 404


def test_it_searches_in_a_fixed_number_of_queries(owner_client, user, django_assert_max_num_queries):
    for minute in range(12):
        say(user, f"coffee number {minute}", minutes=minute)
    with django_assert_max_num_queries(20) as captured:
        owner_client.get(URL, {"q": "coffee"})
    one_page = len(captured)
    say(user, "one more coffee", minutes=30)
    with django_assert_max_num_queries(one_page):
        owner_client.get(URL, {"q": "coffee"})
