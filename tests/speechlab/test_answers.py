""""Was this you?" answered by a simulated owner (selective_speaker/speechlab/answers.py)."""

from __future__ import annotations

import numpy as np
import pytest

from selective_speaker.speech.types import Span
from selective_speaker.speechlab.answers import (
    Answer,
    Card,
    answer_cards,
    answers_report,
    cards_of,
    learned,
    owner_says_me,
    owner_share,
    parse_ks,
    spans_of,
)
from selective_speaker.speechlab.report import print_answers
from selective_speaker.speechlab.rttm import SpeakerTurn

from .conftest import FIXTURES


def region(start, end, decision, similarity=0.57):
    return {"start_ms": start, "end_ms": end, "similarity": similarity, "decision": decision}


def test_cards_are_the_uncertain_regions_of_half_a_second_or_more_longest_first():
    regions = [
        region(0, 1000, "uncertain"),
        region(1000, 3000, "owner", 0.7),
        region(3000, 3499, "uncertain"),  # too short for a card
        region(4000, 6000, "uncertain"),
        region(7000, 9000, "uncertain"),  # as long as the one before: earliest first
        region(9000, 12000, "other", 0.3),
        region(12000, 12500, "uncertain"),
    ]
    assert [(c.start_ms, c.end_ms) for c in cards_of(regions)] == [(4000, 6000), (7000, 9000), (0, 1000), (12000, 12500)]
    assert cards_of([region(0, 5000, "owner"), region(5000, 9000, "other")]) == []


def test_the_owner_says_me_when_they_speak_in_half_the_card_or_more():
    turns = [SpeakerTurn(0, 1000, "me"), SpeakerTurn(800, 2000, "you"), SpeakerTurn(3000, 4000, "me")]
    assert owner_share(Card(0, 2000), turns, "me") == pytest.approx(0.5)
    assert owner_says_me(Card(0, 2000), turns, "me")  # overlapped time counts as the owner's
    assert not owner_says_me(Card(0, 2001), turns, "me")
    assert not owner_says_me(Card(1000, 3000), turns, "me")
    assert owner_says_me(Card(2500, 4000), turns, "me")
    assert not owner_says_me(Card(0, 4000), turns, "absent")  # an owner-absent case: always "not me"


class FakeEmbedder:
    def embed_audio(self, piece):
        return np.array([float(piece.size), 1.0], dtype=np.float32)


def test_answers_carry_the_verdict_and_the_embedding_of_their_stretch():
    audio = np.zeros(16000 * 4, dtype=np.float32)
    turns = [SpeakerTurn(0, 1000, "me"), SpeakerTurn(1000, 4000, "you")]
    answers = answer_cards(FakeEmbedder(), audio, [Card(0, 1000), Card(2000, 4000)], turns, "me")
    assert [a.me for a in answers] == [True, False]
    assert [a.embedding[0] for a in answers] == [16000, 32000]
    assert spans_of(answers) == ([Span(0, 1000)], [Span(2000, 4000)])


def test_me_answers_join_the_voiceprint_bounded_and_not_me_answers_become_negatives():
    voiceprint = np.array([1.0, 0.0], dtype=np.float32)
    answers = [
        Answer(Card(0, 60_000), True, np.array([0.0, 1.0], dtype=np.float32)),
        Answer(Card(0, 1000), False, np.array([0.6, 0.8], dtype=np.float32)),
        Answer(Card(0, 1000), False, None),  # too short to embed: answered, but no negative
    ]
    vector, negatives, share = learned(voiceprint, 10_000, answers)
    assert share == pytest.approx(0.3)  # 60 s heard, capped at 30 % against 10 s enrolled
    assert vector[1] / vector[0] == pytest.approx(0.3 / 0.7)
    assert negatives.shape == (1, 2)
    vector, negatives, share = learned(voiceprint, 10_000, [])
    assert np.array_equal(vector, voiceprint) and negatives.shape == (0, 2) and share == 0.0


def test_it_parses_the_numbers_of_answers():
    assert parse_ks("3,10") == [0, 3, 10]
    assert parse_ks("0, 3,3") == [0, 3]
    for bad in ("a", "-1"):
        with pytest.raises(ValueError):
            parse_ks(bad)


def fake_case(case_id, group, owner_ms, owner_kept_ms, kept_ms, leak_ms, *, absent=False):
    coverage = {
        "owner_ms": owner_ms,
        "kept_ms": kept_ms,
        "owner_kept_ms": owner_kept_ms,
        "leak_ms": leak_ms,
        "recall": owner_kept_ms / owner_ms if owner_ms else None,
        "leak": leak_ms / kept_ms if kept_ms else None,
    }
    return {"id": case_id, "group": group, "owner_absent": absent, "coverage": coverage, "kept_s": kept_ms / 1000}


def test_the_report_pools_by_time_per_group_and_answers(capsys):
    runs = {
        "k=0": [fake_case("a", "channel", 10_000, 5000, 5000, 0), fake_case("b", "owner_absent", 0, 0, 2000, 2000, absent=True)],
        "k=3": [fake_case("a", "channel", 10_000, 9500, 9600, 100), fake_case("b", "owner_absent", 0, 0, 0, 0, absent=True)],
    }
    cards = {
        "a": {"by_k": {"0": {"me": 0, "not_me": 0}, "3": {"me": 2, "not_me": 1}}},
        "b": {"by_k": {"0": {"me": 0, "not_me": 0}, "3": {"me": 0, "not_me": 3}}},
    }
    report = answers_report(runs, cards)
    channel = report["by_group"]["channel"]
    assert channel["k=0"]["recall"] == 0.5 and channel["k=3"]["recall"] == 0.95
    assert channel["k=3"]["leak"] == pytest.approx(100 / 9600)
    assert (channel["k=3"]["me"], channel["k=3"]["not_me"]) == (2, 1)
    absent = report["by_group"]["owner_absent"]
    assert absent["k=0"]["owner_absent_kept_s"] == 2.0 and absent["k=3"]["owner_absent_kept_s"] == 0.0
    assert absent["k=3"]["cases_meeting_goals"] == 1 and absent["k=0"]["cases_meeting_goals"] == 0
    assert report["all"]["k=3"]["cases"] == 2
    print_answers(report)
    out = capsys.readouterr().out
    assert "channel (1)" in out and "k=3" in out and "2 / 1" in out


@pytest.mark.slow
def test_it_answers_cards_on_a_real_case_and_k0_is_the_plain_run():
    from selective_speaker.speech.cli import check_models, config_from_args, load_engine
    from selective_speaker.speechlab.answers import simulate_case
    from selective_speaker.speechlab.cli import build_parser
    from selective_speaker.speechlab.manifest import load_manifest
    from selective_speaker.speechlab.runner import Enrollments, run_case

    # A wide uncertain band, so that the short fixture has cards to answer.
    args = build_parser().parse_args(["eval", "x", "--set", "uncertain_margin=0.3"])
    config = config_from_args(args)
    check_models(config)
    engine = load_engine(config)
    (case,) = load_manifest(str(FIXTURES / "eval-smoke.json")).cases
    plain = run_case(engine, case, enrollments=Enrollments(engine))
    result, by_k, answered = simulate_case(engine, case, enrollments=Enrollments(engine), ks=[0, 3])
    assert result["coverage"] == plain["coverage"] == by_k[0]["coverage"]
    entry = result["answers"]
    assert entry["cards"] >= 1 and set(entry["by_k"]) == {"0", "3"}
    assert entry["by_k"]["0"]["me"] == entry["by_k"]["0"]["not_me"] == 0
    assert entry["by_k"]["3"]["me"] + entry["by_k"]["3"]["not_me"] == min(3, entry["cards"]) == len(answered)
    assert all(a.embedding is not None and a.embedding.ndim == 1 for a in answered)
    assert set(by_k[3]["coverage"]) == set(plain["coverage"])

