"""Metrics, RTTM parsing and manifests of the evaluation module: hand-built cases, known answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from selective_speaker.speech.calibration import mask_intervals, recommend_calibration
from selective_speaker.speech.evaluation import (
    MANIFEST_DIR,
    ManifestError,
    RegionSample,
    SpeakerTurn,
    clip_turns,
    diarization_error,
    equal_error_point,
    intersect_intervals,
    intervals_ms,
    load_manifest,
    merge_intervals,
    normalise_text,
    owner_coverage,
    owner_found_by_stage,
    parse_rttm,
    region_errors,
    region_samples,
    region_truth,
    resolve_data_root,
    select_cases,
    subtract_intervals,
    summarise,
    threshold_meeting_goals,
    tradeoff_curve,
    word_error,
)

DATA_ROOT = resolve_data_root()
needs_shared_data = pytest.mark.skipif(
    not (DATA_ROOT / "derived-simulated-conversations" / "manifest.json").is_file(),
    reason=f"the shared data is not at {DATA_ROOT} (set SELECTIVE_SPEAKER_DATA)",
)


def turn(start, end, who):
    return SpeakerTurn(start, end, who)


# --- intervals ---------------------------------------------------------------------------------


def test_it_merges_overlapping_and_touching_intervals():
    assert merge_intervals([(500, 700), (0, 100), (50, 200), (200, 300), (900, 900)]) == [(0, 300), (500, 700)]


def test_it_intersects_and_subtracts_intervals():
    a = [(0, 1000), (2000, 3000)]
    b = [(500, 2500)]
    assert intersect_intervals(a, b) == [(500, 1000), (2000, 2500)]
    assert subtract_intervals(a, b) == [(0, 500), (2500, 3000)]
    assert subtract_intervals(b, a) == [(1000, 2000)]
    assert intervals_ms(a) == 2000


def test_it_turns_a_frame_mask_into_intervals():
    mask = np.array([0, 1, 1, 0, 0, 1], dtype=bool)
    assert mask_intervals(mask) == [(10, 30), (50, 60)]
    assert mask_intervals(np.zeros(0, dtype=bool)) == []


# --- RTTM --------------------------------------------------------------------------------------


def test_it_parses_rttm_speaker_lines_in_ms():
    text = (
        ";; a comment\n"
        "SPEAKER conv 1 0.300 13.310 <NA> <NA> alice <NA> <NA>\n"
        "\n"
        "SPKR-INFO conv 1 <NA> <NA> <NA> unknown alice <NA> <NA>\n"
        "SPEAKER conv 1 14.387 8.110 <NA> <NA> bob <NA> <NA>\n"
    )
    assert parse_rttm(text) == [turn(300, 13610, "alice"), turn(14387, 22497, "bob")]


def test_it_names_the_line_of_a_malformed_rttm():
    with pytest.raises(ManifestError, match="line 2"):
        parse_rttm("SPEAKER c 1 0 1 <NA> <NA> a <NA> <NA>\nSPEAKER c 1 x 1 <NA> <NA> b <NA> <NA>\n")
    with pytest.raises(ManifestError, match="8\\+ fields"):
        parse_rttm("SPEAKER c 1 0 1\n")


def test_it_clips_turns_to_a_slice_and_shifts_them():
    turns = [turn(0, 1000, "a"), turn(900, 3000, "b"), turn(5000, 6000, "a")]
    assert clip_turns(turns, 500, 2000) == [turn(0, 500, "a"), turn(400, 1500, "b")]


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


# --- DER ---------------------------------------------------------------------------------------


def test_it_scores_a_perfect_diarization_under_other_labels_as_zero():
    reference = [turn(0, 2000, "alice"), turn(2000, 5000, "bob"), turn(5000, 6000, "alice")]
    hypothesis = [turn(0, 2000, "S1"), turn(2000, 5000, "S0"), turn(5000, 6000, "S1")]
    result = diarization_error(reference, hypothesis, collar_ms=0)
    assert result.der == 0.0
    assert result.mapping == {"alice": "S1", "bob": "S0"}


def test_it_splits_der_into_missed_false_alarm_and_confusion():
    reference = [turn(0, 4000, "a"), turn(4000, 8000, "b")]
    # 0-1 s missed, 1-4 s right (X=a), 4-6 s confused (X on b's speech), 6-8 s right (Y=b), 8-9 s false alarm
    hypothesis = [turn(1000, 6000, "X"), turn(6000, 9000, "Y")]
    result = diarization_error(reference, hypothesis, collar_ms=0)
    assert result.reference_ms == 8000
    assert (result.missed_ms, result.false_alarm_ms, result.confusion_ms) == (1000, 1000, 2000)
    assert result.der == pytest.approx(4000 / 8000)
    assert result.mapping == {"a": "X", "b": "Y"}


def test_it_scores_overlapped_speech_for_every_speaker():
    reference = [turn(0, 2000, "a"), turn(1000, 3000, "b")]
    hypothesis = [turn(0, 3000, "H")]  # one label throughout: b's part is missed in overlap, confused after
    result = diarization_error(reference, hypothesis, collar_ms=0)
    assert result.reference_ms == 4000
    assert result.missed_ms == 1000  # 1-2 s: two speakers, one hypothesis label
    assert result.confusion_ms == 1000  # 2-3 s: b's speech under a's label
    assert result.false_alarm_ms == 0


def test_it_leaves_the_collar_around_reference_boundaries_unscored():
    reference = [turn(0, 2000, "a"), turn(2000, 4000, "b")]
    hypothesis = [turn(0, 2200, "A"), turn(2200, 4000, "B")]  # boundary 200 ms late
    assert diarization_error(reference, hypothesis, collar_ms=0).der == pytest.approx(200 / 4000)
    strict = diarization_error(reference, hypothesis, collar_ms=250)
    assert strict.der == 0.0
    assert strict.reference_ms == 4000 - 250 - 500 - 250  # collars at 0 s, 2 s (both sides), 4 s


# --- WER ---------------------------------------------------------------------------------------


def test_it_normalises_case_and_punctuation_for_wer():
    assert normalise_text("Hello, World! It's  well-known.") == "hello world it's well known"
    result = word_error("The birch canoe slid.", "the birch canoe slid")
    assert result["wer"] == 0.0 and result["reference_words"] == 4


def test_it_counts_word_errors():
    result = word_error("one two three four", "one too three four five")
    assert (result["substitutions"], result["deletions"], result["insertions"]) == (1, 0, 1)
    assert result["wer"] == pytest.approx(2 / 4)
    assert word_error("one two", "")["wer"] == 1.0


# --- totals and calibration ---------------------------------------------------------------------


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


def test_it_recommends_the_lowest_threshold_with_safe_worst_case_leak():
    sweep = {
        "curve": [
            {"threshold": 0.5, "recall": 0.99, "min_recall": 0.97, "leak": 0.03, "max_leak": 0.05},
            {"threshold": 0.55, "recall": 0.97, "min_recall": 0.93, "leak": 0.01, "max_leak": 0.02},
            {"threshold": 0.6, "recall": 0.95, "min_recall": 0.90, "leak": 0.0, "max_leak": 0.01},
        ],
        "flagged": [
            {"threshold": 0.55, "margin": 0.02, "recall": 0.98, "max_leak": 0.03},
            {"threshold": 0.55, "margin": 0.06, "recall": 0.99, "max_leak": 0.08},
        ],
    }
    rec = recommend_calibration(sweep, leak_goal=0.02, flag_leak_goal=0.05)
    assert rec["threshold"] == 0.55 and rec["meets_leak_goal"]
    assert rec["margin"] == 0.02


# --- synthetic speech ---------------------------------------------------------------------------


def test_it_trims_leading_and_trailing_silence():
    from selective_speaker.speech.manifests.synthetic import trim_silence

    tone = 0.5 * np.sin(np.linspace(0, 2000 * np.pi, 16000)).astype(np.float32)
    audio = np.concatenate([np.zeros(8000, np.float32), tone, np.zeros(4000, np.float32)])
    trimmed = trim_silence(audio)
    assert abs(trimmed.size - 16000) <= 160


def test_it_voices_a_synthetic_case_with_known_words(tmp_path):
    from selective_speaker.speech.audio import decode_audio
    from selective_speaker.speech.evaluation import EvalCase, read_rttm
    from selective_speaker.speech.manifests.synthetic import espeak_available, materialise_synthetic

    if espeak_available() is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): it voices the WER cases")
    bystander = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "1998-15444-0007.flac"
    spec = {
        "voice": "en-us+m3",
        "gap_ms": 500,
        "enroll_text": ["The birch canoe slid on the smooth planks."],
        "turns": [{"say": "Glue the sheet to the dark blue background."}, {"play": str(bystander), "speaker": "guest"}],
    }
    case = materialise_synthetic(EvalCase("s", "owner", (), None, None, synth=spec), work_dir=tmp_path)
    turns = read_rttm(case.rttm)
    assert [t.speaker for t in turns] == ["owner", "guest"]
    assert turns[0].start_ms == 500 and turns[1].start_ms == turns[0].end_ms + 500
    audio, _ = decode_audio(case.audio.path)
    assert abs(audio.size / 16 - (turns[1].end_ms + 500)) <= 20
    assert case.transcript == "Glue the sheet to the dark blue background."
    assert case.enroll[0].path.is_file()
    again = materialise_synthetic(EvalCase("s", "owner", (), None, None, synth=spec), work_dir=tmp_path)
    assert again.audio.path == case.audio.path  # cached by the spec's hash


# --- manifests ---------------------------------------------------------------------------------


def _write_case_files(folder: Path) -> None:
    import soundfile

    soundfile.write(folder / "talk.wav", np.zeros(16000, np.float32), 16000)
    soundfile.write(folder / "me.wav", np.zeros(16000, np.float32), 16000)
    (folder / "talk.rttm").write_text("SPEAKER talk 1 0.1 0.5 <NA> <NA> me <NA> <NA>\n")


def _manifest(folder: Path, **case) -> Path:
    base = {"id": "one", "owner": "me", "audio": "talk.wav", "rttm": "talk.rttm", "enroll": ["me.wav"]}
    path = folder / "m.json"
    path.write_text(json.dumps({"name": "m", "cases": [{**base, **case}]}))
    return path


def test_it_loads_a_manifest_with_paths_relative_to_it(tmp_path):
    _write_case_files(tmp_path)
    manifest = load_manifest(_manifest(tmp_path, audio={"path": "talk.wav", "start_ms": 0, "end_ms": 800}))
    (case,) = manifest.cases
    assert case.audio.path == tmp_path / "talk.wav" and case.audio.end_ms == 800
    assert case.enroll[0].path == tmp_path / "me.wav"


def test_it_resolves_data_paths_against_the_data_root(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    _write_case_files(root)
    path = _manifest(tmp_path, audio="data:talk.wav", rttm="data:talk.rttm", enroll=["data:me.wav"])
    (case,) = load_manifest(path, data_root=root).cases
    assert case.audio.path == root / "talk.wav"


def test_it_names_a_missing_file_clearly(tmp_path):
    _write_case_files(tmp_path)
    with pytest.raises(ManifestError, match=r"case 'one'.*file not found: .*nowhere\.wav"):
        load_manifest(_manifest(tmp_path, enroll=["nowhere.wav"]))


def test_it_points_at_the_data_root_when_shared_data_is_missing(tmp_path):
    _write_case_files(tmp_path)
    with pytest.raises(ManifestError, match="set --data-root or \\$SELECTIVE_SPEAKER_DATA"):
        load_manifest(_manifest(tmp_path, audio="data:talk.wav"), data_root=tmp_path / "absent")


def test_it_rejects_malformed_manifests(tmp_path):
    _write_case_files(tmp_path)
    with pytest.raises(ManifestError, match="'enroll' must be a non-empty list"):
        load_manifest(_manifest(tmp_path, enroll=[]))
    with pytest.raises(ManifestError, match="owner 'nobody' has no turn"):
        load_manifest(_manifest(tmp_path, owner="nobody"))
    with pytest.raises(ManifestError, match="end_ms must be after start_ms"):
        load_manifest(_manifest(tmp_path, audio={"path": "talk.wav", "start_ms": 500, "end_ms": 100}))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(bad)


def test_it_rejects_duplicate_case_ids(tmp_path):
    _write_case_files(tmp_path)
    case = {"id": "x", "owner": "me", "audio": "talk.wav", "rttm": "talk.rttm", "enroll": ["me.wav"]}
    path = tmp_path / "dup.json"
    path.write_text(json.dumps({"cases": [case, case]}))
    with pytest.raises(ManifestError, match="appears twice"):
        load_manifest(path)


def test_it_finds_a_shipped_manifest_by_name_and_refuses_unknown_ones():
    manifest = load_manifest("shared-conversations", check_files=False)
    assert manifest.path == MANIFEST_DIR / "shared-conversations.json"
    with pytest.raises(ManifestError, match="shared-conversations"):
        load_manifest("no-such-manifest", check_files=False)


def test_it_selects_cases_by_id_glob_and_tag():
    manifest = load_manifest("shared-short", check_files=False)
    chosen = select_cases(manifest.cases, ["sim_ls_2spk_MM/*"], ["short_turn"])
    assert [c.id for c in chosen] == ["sim_ls_2spk_MM/ls1688/short_turn", "sim_ls_2spk_MM/ls3005/short_turn"]


def test_it_ships_a_case_for_every_speaker_of_every_shared_conversation():
    full = load_manifest("shared-conversations", check_files=False)
    assert len(full.cases) == 13
    assert {c.id.split("/")[0] for c in full.cases} == {
        "sim_ls_2spk_FM",
        "sim_ls_2spk_MM",
        "sim_ls_3spk",
        "sim_ls_4spk",
        "sim_vox_2spk",
    }
    short = load_manifest("shared-short", check_files=False)
    assert {t for c in short.cases for t in c.tags} >= {"short", "short_turn", "handover_out", "bystander_only"}
    synthetic = load_manifest("synthetic-wer", check_files=False)
    assert all(c.synth is not None and "wer" in c.tags for c in synthetic.cases)


@needs_shared_data
def test_it_finds_every_file_the_shipped_manifests_name_in_the_shared_data():
    for name in ("shared-conversations", "shared-short", "synthetic-wer"):
        assert load_manifest(name).cases  # check_files=True: every path, every owner in its RTTM


@needs_shared_data
def test_it_keeps_the_short_cases_short():
    from selective_speaker.speech.evaluation import case_turns, speaker_intervals

    for case in load_manifest("shared-short").cases:
        turns = case_turns(case)
        length = case.audio.end_ms - case.audio.start_ms
        speech = intervals_ms((t.start_ms, t.end_ms) for t in turns)
        assert speech < 5000, case.id
        owner = intervals_ms(speaker_intervals(turns, case.owner))
        if "short_turn" in case.tags:
            assert 0 < owner < 1500, case.id
        if "bystander_only" in case.tags:
            assert owner == 0 and speech == length, case.id
        if "owner_only" in case.tags:
            assert owner == length, case.id


@needs_shared_data
def test_it_rebuilds_the_shipped_shared_manifests_identically():
    from selective_speaker.speech.manifests.build_shared import build

    for name, manifest in build(DATA_ROOT).items():
        assert json.loads((MANIFEST_DIR / f"{name}.json").read_text()) == manifest
