"""Recall, leak, region errors, the threshold trade-off and totals (selective_speaker/speechlab/scoring.py)."""

from __future__ import annotations

import pytest

from selective_speaker.speechlab.rttm import SpeakerTurn
from selective_speaker.speechlab.scoring import (
    RegionSample,
    bystander_words,
    equal_error_point,
    meets_goals,
    owner_absent_summary,
    owner_coverage,
    owner_found_by_stage,
    region_errors,
    region_samples,
    region_truth,
    summarise,
    summarise_by_group,
    threshold_meeting_goals,
    tradeoff_curve,
    word_counts,
)


def turn(start, end, who):
    return SpeakerTurn(start, end, who)


# --- recall and leak ---------------------------------------------------------------------------


def test_it_measures_owner_recall_and_bystander_leak():
    turns = [turn(0, 4000, "owner"), turn(5000, 8000, "guest"), turn(7000, 9000, "owner")]
    # kept: 1-4 s (owner), 4-5 s (silence), 6-7 s (guest only), 7-7.5 s (guest and owner)
    cov = owner_coverage(turns, "owner", [(1000, 5000), (6000, 7500)])
    assert cov.owner_ms == 6000
    assert cov.kept_ms == 5500
    assert cov.owner_kept_ms == 3500
    assert cov.recall == pytest.approx(3500 / 6000)
    assert cov.unowned_ms == 2000
    assert cov.leak_ms == 1000  # only 6-7 s is somebody else's speech; overlap counts as the owner's
    assert cov.nonspeech_ms == 1000
    assert cov.leak == pytest.approx(1000 / 5500)
    assert cov.unowned == pytest.approx(2000 / 5500)
    # the owner alone: 0-4 s and 8-9 s (7-8 s the guest talks over them); kept of it: 1-4 s
    assert (cov.owner_alone_ms, cov.owner_alone_kept_ms) == (5000, 3000)
    assert cov.recall_alone == pytest.approx(3000 / 5000)
    assert cov.as_dict()["recall_alone"] == pytest.approx(0.6)


def test_it_counts_kept_words_by_who_speaks_at_their_middle():
    turns = [turn(0, 4000, "owner"), turn(3500, 6000, "guest"), turn(8000, 9000, "guest")]
    words = [(0, 400), (3000, 3600), (3600, 4000), (4200, 4800), (6500, 7000), (8200, 8600)]
    # middles: 200 owner · 3300 owner · 3800 both · 4500 guest only · 6750 nobody · 8400 guest only
    counts = word_counts(turns, "owner", words)
    assert counts == {"words": 6, "bystander_words": 2, "overlapped_words": 1}
    cases = [{"words": counts}, {"words": word_counts(turns, "owner", [])}, {}]  # {}: written before words
    assert bystander_words(cases) == (2, 6)


def test_it_leaves_recall_and_leak_undefined_without_owner_speech_or_kept_time():
    cov = owner_coverage([turn(0, 1000, "guest")], "owner", [])
    assert cov.recall is None and cov.leak is None
    assert owner_coverage([turn(0, 1000, "owner")], "owner", []).recall == 0.0


def test_it_counts_overlapping_kept_segments_once():
    cov = owner_coverage([turn(0, 2000, "owner")], "owner", [(0, 1500), (1000, 2000)])
    assert cov.kept_ms == 2000 and cov.recall == 1.0 and cov.leak == 0.0


# --- region decisions --------------------------------------------------------------------------


def test_it_takes_the_speaker_overlapping_a_region_most_as_its_truth():
    turns = [turn(0, 1000, "a"), turn(800, 3000, "b")]
    assert region_truth(0, 1500, turns) == "a"  # a: 1000 ms, b: 700 ms
    assert region_truth(500, 3000, turns) == "b"
    assert region_truth(4000, 5000, turns) is None


def test_it_counts_false_accepts_and_rejects_per_region():
    turns = [turn(0, 2000, "me"), turn(2000, 5000, "you"), turn(6000, 7000, "me")]
    regions = [
        {"start_ms": 0, "end_ms": 2000, "similarity": 0.8, "decision": "owner"},  # right
        {"start_ms": 2000, "end_ms": 3000, "similarity": 0.65, "decision": "owner"},  # false accept, 1 s
        {"start_ms": 3000, "end_ms": 5000, "similarity": 0.3, "decision": "other"},  # right
        {"start_ms": 6000, "end_ms": 7000, "similarity": 0.56, "decision": "uncertain"},  # false reject, 1 s
        {"start_ms": 8000, "end_ms": 9000, "similarity": 0.1, "decision": "other"},  # no speech: unscored
    ]
    samples = region_samples(regions, turns, "me")
    assert [s.truth for s in samples] == ["owner", "other", "other", "owner", "none"]
    errors = region_errors(samples)
    assert (errors.owner_regions, errors.other_regions, errors.unscored_regions) == (2, 2, 1)
    assert (errors.false_accepts, errors.false_rejects, errors.uncertain_owner) == (1, 1, 1)
    assert errors.false_accept_rate == pytest.approx(1000 / 3000)
    assert errors.false_reject_rate == pytest.approx(1000 / 3000)
    assert errors.as_dict()["false_accept_rate_by_count"] == 0.5


def test_it_traces_the_false_accept_reject_tradeoff_over_thresholds():
    samples = [
        RegionSample(0, 1000, 0.8, "owner", "owner"),
        RegionSample(1000, 2000, 0.5, "other", "owner"),
        RegionSample(2000, 4000, 0.55, "owner", "other"),
        RegionSample(4000, 5000, 0.2, "other", "other"),
        RegionSample(5000, 6000, 0.9, "owner", "none"),
    ]
    curve = {p["threshold"]: p for p in tradeoff_curve(samples, [0.4, 0.52, 0.6])}
    assert curve[0.4]["false_accept_rate"] == pytest.approx(2 / 3)
    assert curve[0.4]["false_reject_rate"] == 0.0
    assert curve[0.4]["leak"] == pytest.approx(2 / 4)
    assert curve[0.52]["false_reject_rate"] == 0.5
    assert curve[0.6]["false_accept_rate"] == 0.0 and curve[0.6]["leak"] == 0.0
    assert threshold_meeting_goals(list(curve.values()), max_false_accept=0.02, max_leak=0.02)["threshold"] == 0.6
    assert equal_error_point(list(curve.values()))["threshold"] == 0.52


def test_it_draws_no_tradeoff_without_region_similarities():
    samples = [RegionSample(0, 1000, None, "owner", "owner"), RegionSample(1000, 2000, None, "other", "other")]
    assert tradeoff_curve(samples, [0.5, 0.6]) == []
    assert threshold_meeting_goals([], max_false_accept=0.02, max_leak=0.02) is None


# --- totals ------------------------------------------------------------------------------------


def _case(recall_parts, leak_parts, tags=("full",)):
    owner_kept, owner = recall_parts
    leak, kept = leak_parts
    return {
        "tags": list(tags),
        "audio_s": 10.0,
        "coverage": {
            "owner_ms": owner,
            "owner_kept_ms": owner_kept,
            "kept_ms": kept,
            "leak_ms": leak,
            "unowned_ms": leak,
            "recall": owner_kept / owner if owner else None,
            "leak": leak / kept if kept else None,
        },
        "owner_found_ms": {"owner": owner, "speech": owner, "owner_regions": owner, "kept": owner_kept},
        "regions": {"false_accept_ms": 0, "other_ms": 100, "false_reject_ms": 50, "owner_ms": 100},
        "timings_s": {"total": 1.0, "asr": 0.5},
        "der": None,
        "wer": None,
    }


def test_it_totals_cases_by_time_and_reports_the_worst():
    summary = summarise([_case((900, 1000), (10, 1000)), _case((100, 1000), (0, 100))])
    assert summary["recall"] == pytest.approx(1000 / 2000)
    assert summary["leak"] == pytest.approx(10 / 1100)
    assert summary["min_recall"] == pytest.approx(0.1)
    assert summary["cases_meeting_goals"] == 1
    assert summary["rtf"] == {"asr": 0.05, "total": 0.1}
    assert summary["false_reject_rate"] == 0.5
    assert summary["recall_by_stage"] == {"speech": 1.0, "owner_regions": 1.0, "kept": 0.5}


def test_it_tells_at_which_stage_owner_speech_was_lost():
    turns = [turn(0, 4000, "me"), turn(5000, 6000, "you")]
    samples = [
        RegionSample(500, 2000, 0.8, "owner", "owner"),
        RegionSample(2000, 3500, 0.5, "uncertain", "owner"),
        RegionSample(5000, 6000, 0.3, "other", "other"),
    ]
    found = owner_found_by_stage(turns, "me", samples, kept=[(600, 1800)])
    assert found == {"owner": 4000, "speech": 3000, "owner_regions": 1500, "kept": 1200}


# --- owner absent, condition groups ----------------------------------------------------------------


def _absent(kept_ms, leak_ms=0, group="owner_absent", case_id="absent"):
    case = _case((0, 0), (leak_ms, kept_ms), tags=(group,))
    return {**case, "id": case_id, "group": group, "owner_absent": True}


def test_it_passes_an_owner_absent_case_only_when_nothing_is_kept():
    assert meets_goals(_absent(0))
    assert not meets_goals(_absent(1200, leak_ms=0))  # even kept silence is wrong when the owner is not there
    assert not meets_goals(_absent(1200, leak_ms=1200))
    assert meets_goals({**_case((950, 1000), (0, 1000)), "owner_absent": False})


def test_it_totals_the_kept_seconds_of_owner_absent_cases():
    summary = owner_absent_summary([_absent(0, case_id="a"), _absent(2500, 2000, case_id="b"), _case((900, 1000), (0, 1000))])
    assert summary == {
        "cases": 2,
        "cases_keeping_nothing": 1,
        "kept_s": 2.5,
        "worst_kept_s": 2.5,
        "worst_case": "b",
        "bystander_kept_s": 2.0,
    }
    assert owner_absent_summary([_case((900, 1000), (0, 1000))]) is None


def test_it_totals_each_condition_group_by_time():
    cases = [
        {**_case((900, 1000), (0, 1000)), "group": "noise"},
        {**_case((500, 1000), (50, 500)), "group": "noise"},
        {**_case((990, 1000), (0, 1000)), "group": "channel"},
        _absent(0),
        {**_case((1, 1), (0, 1)), "group": None},  # not in any group: left out
    ]
    groups = summarise_by_group(cases)
    assert list(groups) == ["noise", "channel", "owner_absent"]
    assert groups["noise"]["recall"] == pytest.approx(1400 / 2000)
    assert groups["noise"]["leak"] == pytest.approx(50 / 1500)
    assert groups["noise"]["min_recall"] == pytest.approx(0.5) and groups["noise"]["max_leak"] == pytest.approx(0.1)
    assert groups["noise"]["cases_meeting_goals"] == 1 and groups["noise"]["owner_absent"] is None
    assert groups["owner_absent"]["recall"] is None and groups["owner_absent"]["cases_meeting_goals"] == 1
    assert groups["owner_absent"]["owner_absent"]["kept_s"] == 0
