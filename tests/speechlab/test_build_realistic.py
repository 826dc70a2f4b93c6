"""The realistic-conditions suite: its shipped manifest, its rebuild, and a small real run
(selective_speaker/speechlab/manifests/build_realistic.py)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from fnmatch import fnmatch

import pytest

from selective_speaker.speechlab.manifest import MANIFEST_DIR, load_manifest
from selective_speaker.speechlab.manifests.build_realistic import main, plan

from .conftest import DATA_ROOT, needs_shared_data

GROUPS = ("channel", "far_field", "noise", "overlap", "similar_voices", "owner_absent", "real")
SHIPPED = json.loads((MANIFEST_DIR / "realistic.json").read_text())


def test_it_ships_a_lean_suite_tagged_by_condition_group():
    cases = SHIPPED["cases"]
    assert 60 <= len(cases) <= 120
    assert tuple(dict.fromkeys(c["group"] for c in cases)) == GROUPS
    seconds = sum(c["build"]["conversation"]["seconds"] for c in cases if "build" in c)
    assert seconds <= 60 * 60  # synthetic audio; the real recordings add about 25 min
    owners, genders = defaultdict(set), defaultdict(set)
    for case in cases:
        assert case["group"] in case["tags"]
        if "build" in case:
            owners[case["group"]].add(case["owner"])
            genders[case["group"]].add(next(t for t in case["tags"] if t in ("owner_F", "owner_M")))
            assert 20 <= case["build"]["conversation"]["seconds"] <= 60
    for group in GROUPS[:-1]:
        assert len(owners[group]) >= 5, group
        assert genders[group] == {"owner_F", "owner_M"}, group
    assert sum("closest_voice" in c["tags"] for c in cases) >= 20  # the hard pairs are everywhere


def test_it_keeps_owners_out_of_owner_absent_recordings_and_enrollments_out_of_conversations():
    manifest = load_manifest("realistic", check_files=False)
    assert {c.group for c in manifest.cases} == set(GROUPS)
    for raw, case in zip(SHIPPED["cases"], manifest.cases):
        assert case.owner_absent == (raw["group"] == "owner_absent")
        build = raw.get("build")
        if not build:
            continue
        speakers = build["conversation"]["speakers"]
        assert (case.owner in speakers) != case.owner_absent, case.id
        for noise in build.get("noise", ()):
            assert not set(noise.get("voices", ())) & {case.owner, *speakers}, case.id  # babble is nobody in the case
        if "enroll_channel" in build:
            assert raw["enroll"] == [raw["audio"].replace("audio.wav", "enroll.wav")]
        else:
            assert all(p.startswith("data:librispeech-test-other/") and p[-9:-5] in ("0007", "0008", "0009") for p in raw["enroll"])
    every_owner = {c["owner"] for c in SHIPPED["cases"] if c.get("owner_absent")}
    assert {c["owner"] for c in SHIPPED["cases"] if "build" in c} <= every_owner  # every enrollment, once absent


@needs_shared_data
def test_it_plans_the_shipped_manifest_again_from_the_data_and_the_seed():
    assert plan(DATA_ROOT, closest=SHIPPED["closest_voices"]) == SHIPPED


@pytest.mark.slow
@needs_shared_data
def test_it_finds_the_same_closest_voices_with_the_bundled_embedding():
    from selective_speaker.speechlab.conversation import voice_pool
    from selective_speaker.speechlab.manifests.build_realistic import closest_voices

    found = closest_voices(voice_pool(DATA_ROOT))
    assert {o: v[0][0] for o, v in found.items()} == {o: v[0][0] for o, v in SHIPPED["closest_voices"].items()}


@needs_shared_data
def test_it_rebuilds_a_subset_into_a_folder_and_every_file_is_there(tmp_path, capsys):
    pytest.importorskip("pyroomacoustics", reason="far-field cases need the eval extra")
    chosen = ["channel/telephone/ls3005", "noise/babble-10db/*", "owner_absent/clean/ls1998-*", "far_field/near-owner-rt0.3/*"]
    args = ["--audio-only", "--audio-root", str(tmp_path), *(x for c in chosen for x in ("--case", c))]
    main(args)
    assert "4 recordings" in capsys.readouterr().out
    subset = {**SHIPPED, "cases": [c for c in SHIPPED["cases"] if any(fnmatch(c["id"], p) for p in chosen)]}
    path = tmp_path / "subset.json"
    path.write_text(json.dumps(subset))
    manifest = load_manifest(path, data_root=DATA_ROOT, audio_root=tmp_path)  # checks every file and RTTM
    assert len(manifest.cases) == 4 and all(c.audio.path.is_relative_to(tmp_path) for c in manifest.cases)
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*.wav"))}
    main([*args, "--force"])
    assert before == {p: p.read_bytes() for p in sorted(tmp_path.rglob("*.wav"))}  # same seed, same bytes


# --- a small subset through the real engine ----------------------------------------------------------


def _case(group, kind, owner, speakers, seconds, *, absent=False, **build):
    case_id = f"{group}/{kind}/{owner}"
    folder = f"gen:realistic/{case_id}"
    enroll = [f"data:librispeech-test-other/{owner[2:]}/{n}" for n in _held_out(owner)]
    return {
        "id": case_id, "owner": owner, "group": group, "tags": [group, kind], "audio": f"{folder}/audio.wav",
        "rttm": f"{folder}/reference.rttm", "enroll": enroll, **({"owner_absent": True} if absent else {}),
        "build": {"seed": 5, "conversation": {"speakers": speakers, "seconds": seconds}, **build},
    }


def _held_out(owner: str) -> list[str]:
    files = sorted((DATA_ROOT / "librispeech-test-other" / owner[2:]).glob("*.flac"))
    return [f.name for f in files[7:10]]


@pytest.mark.slow
@needs_shared_data
def test_it_measures_a_small_realistic_subset_with_the_real_engine(tmp_path, capsys):
    """Telephone band, babble at 10 dB and an owner-absent case, built and scored as `eval` does.
    Asserts that the measurement works, not that the engine meets the goals; prints the figures."""
    from selective_speaker.speech.cli import check_models, default_model_dir
    from selective_speaker.speech.config import EngineConfig
    from selective_speaker.speech.engine import Engine
    from selective_speaker.speechlab.conversation import voice_pool
    from selective_speaker.speechlab.manifests.realistic_audio import render_case
    from selective_speaker.speechlab.report import format_table, group_row
    from selective_speaker.speechlab.runner import Enrollments, run_case
    from selective_speaker.speechlab.scoring import meets_goals, owner_absent_summary, summarise_by_group

    cases = [
        _case("channel", "telephone", "ls2033", ["ls2033", "ls1998"], 18, channel=[{"op": "telephone"}]),
        _case("noise", "babble-10db", "ls3080", ["ls3080", "ls533"], 18,
              noise=[{"kind": "babble", "snr_db": 10, "voices": ["ls367", "ls2609", "id10001", "eagle1", "falcon3"]}]),
        _case("owner_absent", "clean", "ls1998", ["ls1688", "ls2414"], 15, absent=True),
    ]
    pool = voice_pool(DATA_ROOT)
    for raw in cases:
        render_case(raw, pool, tmp_path)
    path = tmp_path / "small.json"
    path.write_text(json.dumps({"name": "small", "cases": cases}))
    manifest = load_manifest(path, data_root=DATA_ROOT, audio_root=tmp_path)
    config = EngineConfig.from_env(os.environ, defaults={"model_cache_dir": default_model_dir()})
    check_models(config)
    engine = Engine.shared(config)
    enrollments = Enrollments(engine)
    results = [run_case(engine, case, enrollments=enrollments) for case in manifest.cases]

    groups = summarise_by_group(results)
    with capsys.disabled():
        print("\n" + format_table([group_row(g, s) for g, s in groups.items()], header=(
            "group", "audio s", "recall", "worst recall", "leak", "worst leak", "goals", "absent kept s", "worst absent",
            "VAD found", "decided owner")))
    telephone, babble, absent = results
    for result in (telephone, babble):
        assert result["coverage"]["owner_ms"] > 2000 and result["coverage"]["recall"] is not None
        assert 0 <= result["coverage"]["recall"] <= 1 and result["owner_found_ms"]["owner"] == result["coverage"]["owner_ms"]
        assert result["group"] in result["tags"] and result["rtf"]["total"] > 0
    assert absent["owner_absent"] and absent["coverage"]["owner_ms"] == 0 and absent["coverage"]["recall"] is None
    assert absent["kept_s"] == absent["coverage"]["kept_ms"] / 1000
    assert meets_goals(absent) == (absent["kept_s"] == 0)
    assert list(groups) == ["channel", "noise", "owner_absent"]
    summary = owner_absent_summary(results)
    assert summary["cases"] == 1 and summary["kept_s"] == absent["kept_s"] and groups["channel"]["owner_absent"] is None
