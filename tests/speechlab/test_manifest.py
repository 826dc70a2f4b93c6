"""Loading, checking and selecting manifest cases (selective_speaker/speechlab/manifest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from selective_speaker.speech.windows import intervals_ms
from selective_speaker.speechlab.manifest import (
    MANIFEST_DIR,
    ManifestError,
    load_manifest,
    select_cases,
)

from .conftest import needs_shared_data


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
    from selective_speaker.speechlab.manifest import case_turns
    from selective_speaker.speechlab.rttm import speaker_intervals

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


# --- realistic-suite fields: generated audio, groups, owner absent, scoring from a time --------------


def test_it_resolves_generated_audio_against_the_audio_root(tmp_path, monkeypatch):
    root = tmp_path / "gen"
    root.mkdir()
    _write_case_files(root)
    path = _manifest(tmp_path, audio="gen:talk.wav", rttm="gen:talk.rttm", enroll=["gen:me.wav"])
    (case,) = load_manifest(path, audio_root=root).cases
    assert case.audio.path == root / "talk.wav" and case.rttm == root / "talk.rttm"
    monkeypatch.setenv("SELECTIVE_SPEAKER_EVAL_AUDIO", str(root))
    assert load_manifest(path).cases[0].audio.path == root / "talk.wav"


def test_it_says_how_to_build_missing_generated_audio(tmp_path):
    _write_case_files(tmp_path)
    path = _manifest(tmp_path, audio="gen:realistic/x/audio.wav")
    with pytest.raises(ManifestError, match="build it with `python -m selective_speaker.speechlab.manifests.build_realistic`"):
        load_manifest(path, audio_root=tmp_path / "nothing-built")


def test_it_reads_group_owner_absent_and_score_from(tmp_path):
    _write_case_files(tmp_path)
    (case,) = load_manifest(_manifest(tmp_path, group="channel", tags=["channel", "telephone"], score_from_ms=200)).cases
    assert (case.group, case.tags, case.owner_absent, case.score_from_ms) == ("channel", ("channel", "telephone"), False, 200)
    (absent,) = load_manifest(_manifest(tmp_path, owner="stranger", owner_absent=True)).cases
    assert absent.owner_absent and absent.group is None and absent.score_from_ms is None


def test_it_refuses_an_owner_absent_case_where_the_owner_speaks(tmp_path):
    _write_case_files(tmp_path)
    with pytest.raises(ManifestError, match="marked owner_absent but 'me' speaks"):
        load_manifest(_manifest(tmp_path, owner_absent=True))
    # ...unless the audio slice leaves the owner's turn out (0.1-0.6 s)
    (case,) = load_manifest(_manifest(tmp_path, owner_absent=True, audio={"path": "talk.wav", "start_ms": 700})).cases
    assert case.owner_absent


@pytest.mark.parametrize(
    "field,message",
    [
        ({"group": ""}, "'group' must be a non-empty string"),
        ({"owner_absent": "yes"}, "'owner_absent' must be true or false"),
        ({"score_from_ms": -5}, "'score_from_ms' must be a non-negative integer"),
        ({"score_from_ms": 1.5}, "'score_from_ms' must be a non-negative integer"),
    ],
)
def test_it_rejects_malformed_realistic_fields(tmp_path, field, message):
    _write_case_files(tmp_path)
    with pytest.raises(ManifestError, match=message):
        load_manifest(_manifest(tmp_path, **field))
