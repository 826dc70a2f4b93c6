"""Search semantics (utterances.search through the timeline selector), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.search import (
    MARK_END,
    MARK_START,
    headline_spans,
    marked_html,
    search_terms,
    term_spans,
)
from utterances.selectors import utterance_search_highlight, utterance_timeline

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="stemming, stop words and ranking are PostgreSQL full-text search; elsewhere words match as text",
)


def say(user, text: str, *, minutes: float = 0):
    return UtteranceFactory(chunk=ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=minutes)), text=text)


def found(user, q: str, **filters) -> list[str]:
    return [utterance.text for utterance in utterance_timeline(user=user, q=q, **filters)]


# --- the words of a query --------------------------------------------------------------------


def test_it_takes_each_word_once_without_punctuation():
    assert search_terms("Lips, mouth! LIPS") == ("Lips", "mouth")
    assert search_terms("don't  stop—now") == ("don't", "stop", "now")
    assert search_terms("  ?  ") == ("?",)  # no word at all: the text itself
    assert search_terms("   ") == ()


def test_it_marks_every_occurrence_of_every_word_ignoring_case():
    text = "Coffee? More coffee, then tea"
    assert term_spans(text, ["coffee", "TEA"]) == [(0, 6), (13, 19), (26, 29)]
    assert term_spans("aaa", ["aa"]) == [(0, 3)]  # overlapping occurrences merge
    assert term_spans("abc", []) == []


def test_it_escapes_everything_but_its_own_marks():
    text = '<script>alert("x")</script> & lips'
    html = marked_html(text, term_spans(text, ["script", "lips"]))
    assert html == (
        "&lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; &amp; <mark>lips</mark>"
    )
    assert marked_html("fish & chips", term_spans("fish & chips", ["amp"])) == "fish &amp; chips"


def test_it_reads_the_words_ts_headline_marked():
    headline = f"{MARK_START}Lips{MARK_END} and {MARK_START}mouth{MARK_END}."
    assert headline_spans(headline, "Lips and mouth.") == [(0, 4), (9, 14)]
    assert headline_spans(headline, "Lips and mouth!") is None  # not this text: mark the words instead
    assert headline_spans(f"{MARK_START}a", "a") is None
    assert headline_spans(headline, f"Lips and mouth.{MARK_START}") is None


# --- what a search finds: every backend ------------------------------------------------------


def test_it_finds_every_word_in_any_order_whatever_the_case_and_punctuation(user):
    say(user, "Lips and mouth.", minutes=0)
    say(user, "my mouth, then my LIPS", minutes=1)
    say(user, "lips only", minutes=2)
    assert sorted(found(user, "lips mouth")) == ["Lips and mouth.", "my mouth, then my LIPS"]
    assert sorted(found(user, "MOUTH, lips!")) == ["Lips and mouth.", "my mouth, then my LIPS"]
    assert found(user, "lips zebra") == []


def test_it_never_finds_another_users_words(user, other_user):
    mine = say(user, "coffee with Anna")
    say(other_user, "coffee with Anna")
    say(other_user, "more coffee", minutes=1)
    assert [u.id for u in utterance_timeline(user=user, q="coffee")] == [mine.id]
    assert utterance_timeline(user=user, q="coffee").count() == 1
    assert utterance_timeline(user=user, q="more").count() == 0


def test_it_searches_within_the_other_filters(user):
    say(user, "lunch on the phone", minutes=0)
    UtteranceFactory(chunk=ChunkFactory(user=user, device_id="watch", start_ts=T0), text="lunch on the watch")
    say(user, "lunch tomorrow", minutes=60)
    assert found(user, "lunch", device_id="watch") == ["lunch on the watch"]
    assert found(user, "lunch", since=T0 + timedelta(minutes=30)) == ["lunch tomorrow"]


def test_it_counts_every_result(user):
    for minute in range(7):
        say(user, f"match number {minute}", minutes=minute)
    say(user, "something else", minutes=8)
    assert utterance_timeline(user=user, q="match").count() == 7


def test_it_finds_a_query_of_only_common_words_as_text(user):
    say(user, "To be, or not to be", minutes=0)
    say(user, "to see", minutes=1)
    assert found(user, "to be") == ["To be, or not to be"]


def test_it_orders_equal_matches_newest_first(user):
    old, new = say(user, "coffee time", minutes=0), say(user, "coffee break", minutes=5)
    assert list(utterance_timeline(user=user, q="coffee")) == [new, old]
    assert list(utterance_timeline(user=user, q="coffee", order="newest")) == [new, old]


def test_it_highlights_the_matches_html_safely(user):
    say(user, '<script>alert("owned")</script> lips & mouth')
    [utterance] = utterance_timeline(user=user, q="mouth lips")
    html = utterance_search_highlight(utterance, q="mouth lips")
    assert "<script>" not in html
    assert html == "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; <mark>lips</mark> &amp; <mark>mouth</mark>"


def test_it_highlights_a_query_that_looks_like_markup(user):
    say(user, '<b onmouseover="x">bold</b> words')
    [utterance] = utterance_timeline(user=user, q='<b onmouseover="x">')
    html = utterance_search_highlight(utterance, q='<b onmouseover="x">')
    assert html == (  # its words are b, onmouseover and x
        "&lt;<mark>b</mark> <mark>onmouseover</mark>=&quot;<mark>x</mark>&quot;&gt;<mark>b</mark>old"
        "&lt;/<mark>b</mark>&gt; words"
    )


# --- PostgreSQL: words by their stem, ranked ---------------------------------------------------


@postgresql_only
def test_it_matches_words_by_their_stem(user):
    say(user, "He runs every morning", minutes=0)
    say(user, "the runner", minutes=1)
    assert found(user, "running") == ["He runs every morning"]
    [utterance] = utterance_timeline(user=user, q="running")
    assert utterance_search_highlight(utterance, q="running") == "He <mark>runs</mark> every morning"


@postgresql_only
def test_it_ranks_more_and_closer_matches_first(user):
    far = say(user, "my lips are dry and later, much later, my mouth", minutes=3)
    close = say(user, "lips and mouth", minutes=2)
    many = say(user, "Lips, mouth, lips and mouth", minutes=1)
    assert list(utterance_timeline(user=user, q="lips mouth")) == [many, close, far]
    assert list(utterance_timeline(user=user, q="lips mouth", order="newest")) == [far, close, many]
    ranks = [u.rank for u in utterance_timeline(user=user, q="lips mouth")]
    assert ranks == sorted(ranks, reverse=True) and ranks[-1] > 0


@postgresql_only
def test_it_ignores_common_words_among_others(user):
    say(user, "lips and mouth", minutes=0)
    say(user, "the mouth of the river", minutes=1)
    assert found(user, "the lips and the mouth") == ["lips and mouth"]


@postgresql_only
def test_it_leaves_the_search_vector_out_of_every_row(user):
    say(user, "coffee")
    [utterance] = utterance_timeline(user=user, q="coffee")
    assert "search_vector" in utterance.get_deferred_fields()
