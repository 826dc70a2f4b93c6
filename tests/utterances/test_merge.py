"""One voice across devices (utterances/merge.py): the rules, and applying them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chunks.models import Chunk
from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.merge import (
    MergeRules,
    Take,
    take_best,
    takes_matched,
    text_similarity,
    times_overlap,
    utterances_merge,
    words_normalised,
)
from utterances.models import Utterance

RULES = MergeRules(clock_tolerance=timedelta(seconds=5), min_text_similarity=0.6)


def take(id, device, start_s, end_s, text="see you at noon tomorrow", **scores) -> Take:
    return Take(id, device, T0 + timedelta(seconds=start_s), T0 + timedelta(seconds=end_s), text, **scores)


# --- the rules --------------------------------------------------------------------------------


def test_it_compares_words_whatever_the_case_and_punctuation():
    assert words_normalised("Hello, there! It’s NOON.") == ("hello", "there", "it's", "noon")
    assert text_similarity("See you at noon.", "see you, at noon") == 1.0


def test_it_scores_texts_by_the_words_they_share_in_order():
    assert text_similarity("see you at noon tomorrow", "see you at moon tomorrow") == pytest.approx(0.8)
    assert text_similarity("see you at noon", "see you") == pytest.approx(2 * 2 / 6)
    assert text_similarity("noon at you see", "see you at noon") < 0.6  # the same words, another sentence
    assert text_similarity("the garden needs water", "see you at noon") == 0.0
    assert text_similarity("…", "see you at noon") == 0.0  # no words: never alike


def test_it_lets_a_clock_offset_within_the_tolerance_overlap():
    phone = take(1, "phone", 0.0, 1.2)
    pendant = take(2, "pendant", 2.5, 3.7)  # the pendant's clock runs 2.5 s ahead
    assert times_overlap(phone, pendant, timedelta(seconds=5))
    assert times_overlap(pendant, phone, timedelta(seconds=5))
    assert not times_overlap(phone, pendant, timedelta(seconds=1))
    assert times_overlap(phone, pendant, timedelta(seconds=1.4))
    assert not times_overlap(phone, take(3, "pendant", 6.3, 8.0), timedelta(seconds=5))


def test_it_keeps_the_take_with_the_surer_owner_match_then_the_higher_confidence():
    phone = take(1, "phone", 0, 2, owner_similarity=0.62, confidence=0.95)
    pendant = take(2, "pendant", 0, 2, owner_similarity=0.81, confidence=0.70)
    assert take_best([phone, pendant]) is pendant
    assert take_best([take(1, "phone", 0, 2, owner_similarity=0.7, confidence=0.9), take(2, "pendant", 0, 2, owner_similarity=0.7, confidence=0.8)]).id == 1
    unknown = take(3, "watch", 0, 2, owner_similarity=None, confidence=0.99)
    assert take_best([unknown, phone]) is phone
    uncertain = take(4, "watch", 0, 2, owner_similarity=0.9, confidence=0.9, uncertain=True)
    assert take_best([uncertain, phone]) is phone


def test_it_breaks_a_tie_the_same_way_whatever_the_order():
    a, b = take(1, "phone", 0, 2), take(2, "pendant", 0, 2)
    assert take_best([a, b]) is take_best([b, a]) is a  # equal scores: the device id decides


def test_it_pairs_takes_of_the_same_words_one_to_one_most_similar_first():
    new = [take(1, "phone", 0, 2, "see you at noon tomorrow"), take(2, "phone", 3, 5, "see you at noon")]
    kept = [take(10, "pendant", 2.5, 4.5, "see you at noon tomorrow"), take(11, "pendant", 5.5, 7.5, "see you at noon")]
    pairs = takes_matched(new, kept, RULES)
    assert sorted((n.id, k.id) for n, k in pairs) == [(1, 10), (2, 11)]


def test_it_pairs_each_kept_take_with_one_new_take_at_most():
    new = [take(1, "phone", 0, 2, "see you at noon"), take(2, "phone", 3, 5, "see you at noon")]
    pairs = takes_matched(new, [take(10, "pendant", 1, 3, "see you at noon")], RULES)
    assert [(n.id, k.id) for n, k in pairs] == [(1, 10)]  # the more overlapping one


def test_it_never_pairs_takes_of_one_device_different_words_or_distant_times():
    assert takes_matched([take(1, "phone", 0, 2)], [take(2, "phone", 0, 2)], RULES) == []
    assert takes_matched([take(1, "phone", 0, 2)], [take(2, "pendant", 0, 2, "the garden needs water")], RULES) == []
    assert takes_matched([take(1, "phone", 0, 2)], [take(2, "pendant", 60, 62)], RULES) == []


# --- applying them ------------------------------------------------------------------------------


def stored(user, device, offset_s, text="see you at noon tomorrow", **fields) -> Utterance:
    chunk = ChunkFactory(user=user, device_id=device, start_ts=T0 + timedelta(seconds=offset_s), status=Chunk.Status.DONE)
    return UtteranceFactory(chunk=chunk, start_ms=1000, end_ms=3000, text=text, **fields)


def test_it_links_the_worse_new_take_to_the_kept_one(user):
    pendant = stored(user, "pendant", 2.5, owner_similarity=0.85)
    phone = stored(user, "phone", 0, "See you at noon, tomorrow!", owner_similarity=0.7)
    assert utterances_merge(utterances=[phone], rules=RULES) == 1
    phone.refresh_from_db()
    assert phone.duplicate_of == pendant and phone.duplicate_of_id == pendant.id
    assert list(pendant.duplicates.all()) == [phone]


def test_it_makes_a_better_new_take_the_kept_one_with_the_old_ones_duplicates(user):
    phone = stored(user, "phone", 0, owner_similarity=0.6)
    watch = stored(user, "watch", 1, owner_similarity=0.5, duplicate_of=phone)
    pendant = stored(user, "pendant", 2.5, owner_similarity=0.9)
    assert utterances_merge(utterances=[pendant], rules=RULES) == 1
    assert sorted(pendant.duplicates.values_list("id", flat=True)) == sorted([phone.id, watch.id])  # flat
    assert Utterance.objects.get(id=pendant.id).duplicate_of_id is None


def test_it_merges_only_within_one_owners_utterances(user, other_user):
    stored(other_user, "pendant", 2.5, owner_similarity=0.99)
    phone = stored(user, "phone", 0)
    assert utterances_merge(utterances=[phone], rules=RULES) == 0


def test_it_decides_in_two_queries(user, django_assert_num_queries):
    better = stored(user, "pendant", 2.5, owner_similarity=0.9)
    worse = stored(user, "pendant", 62.5, "the garden needs water today", owner_similarity=0.3)
    chunk = ChunkFactory(user=user, device_id="phone", start_ts=T0, status=Chunk.Status.DONE)
    first = UtteranceFactory(chunk=chunk, start_ms=1000, end_ms=3000, text=better.text, owner_similarity=0.5)
    second = UtteranceFactory(chunk=chunk, start_ms=61000, end_ms=63000, text=worse.text, owner_similarity=0.5)
    with django_assert_num_queries(2):  # the candidates, then every link at once
        assert utterances_merge(utterances=[first, second], rules=RULES) == 2
    links = dict(Utterance.objects.filter(user=user).values_list("id", "duplicate_of"))
    assert links == {better.id: None, first.id: better.id, worse.id: second.id, second.id: None}


def test_it_promotes_the_best_duplicate_when_a_kept_take_goes(user):
    pendant = stored(user, "pendant", 2.5, owner_similarity=0.9)
    phone = stored(user, "phone", 0, owner_similarity=0.7, duplicate_of=pendant)
    watch = stored(user, "watch", 1, owner_similarity=0.6, duplicate_of=pendant)
    Chunk.objects.filter(id=pendant.chunk_id).delete()  # the recording goes, the words were still heard
    phone.refresh_from_db()
    watch.refresh_from_db()
    assert phone.duplicate_of_id is None and watch.duplicate_of_id == phone.id


def test_it_promotes_a_take_that_stays_when_several_recordings_go_at_once(user):
    pendant = stored(user, "pendant", 2.5, owner_similarity=0.9)
    phone = stored(user, "phone", 0, owner_similarity=0.7, duplicate_of=pendant)
    watch = stored(user, "watch", 1, owner_similarity=0.6, duplicate_of=pendant)
    Chunk.objects.filter(id__in=[pendant.chunk_id, phone.chunk_id]).delete()
    assert list(Utterance.objects.filter(user=user).values_list("id", "duplicate_of")) == [(watch.id, None)]
