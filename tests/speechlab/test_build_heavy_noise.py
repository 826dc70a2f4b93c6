"""The heavy-noise suite: derived from the realistic suite's recipes, remixed at 0 and -5 dB
(selective_speaker/speechlab/manifests/build_heavy_noise.py)."""

from __future__ import annotations

import json

from selective_speaker.speechlab.manifest import MANIFEST_DIR, load_manifest
from selective_speaker.speechlab.manifests.build_heavy_noise import GROUP, main, plan

from .conftest import DATA_ROOT, needs_shared_data

REALISTIC = json.loads((MANIFEST_DIR / "realistic.json").read_text())
SHIPPED = json.loads((MANIFEST_DIR / "realistic-heavy-noise.json").read_text())


def test_the_shipped_manifest_is_the_realistic_suite_remixed_as_planned():
    assert SHIPPED == json.loads(json.dumps(plan(REALISTIC)))


def test_each_noisy_conversation_comes_back_at_0_and_minus_5_db_and_nothing_else_changes():
    noise_5db = [c for c in REALISTIC["cases"] if c["group"] == "noise" and "snr5" in c["tags"]]
    absent_babble = [c for c in REALISTIC["cases"] if c["group"] == "owner_absent" and "/babble-" in c["id"]]
    assert len(noise_5db) == 5 and len(absent_babble) == 2
    remixes = {}
    for case in SHIPPED["cases"]:
        (level,) = {spec["snr_db"] for spec in case["build"]["noise"]}
        original = {**case["build"], "noise": [{**spec, "snr_db": None} for spec in case["build"]["noise"]]}
        remixes.setdefault(json.dumps(original, sort_keys=True), []).append((level, case))
    assert len(SHIPPED["cases"]) == 14
    for source in noise_5db + absent_babble:
        key = {**source["build"], "noise": [{**spec, "snr_db": None} for spec in source["build"]["noise"]]}
        found = remixes[json.dumps(key, sort_keys=True)]  # the same voices, words, timing, seed and noise
        assert sorted(level for level, _ in found) == [-5, 0]
        for level, case in found:
            assert case["group"] == GROUP and source["group"] in case["tags"] and f"snr{level}" in case["tags"]
            assert case["owner"] == source["owner"] and case["enroll"] == source["enroll"]
            assert case.get("owner_absent", False) == source.get("owner_absent", False)
            assert case["id"].startswith(f"{GROUP}/{source['group']}/") and case["id"].endswith(source["id"].rsplit("/", 1)[1])


@needs_shared_data
def test_it_renders_every_file_and_the_manifest_loads(tmp_path, capsys):
    main(["--audio-root", str(tmp_path)])
    assert "14 recordings" in capsys.readouterr().out
    manifest = load_manifest(MANIFEST_DIR / "realistic-heavy-noise.json", data_root=DATA_ROOT, audio_root=tmp_path)
    assert len(manifest.cases) == 14 and all(c.audio.path.is_relative_to(tmp_path) for c in manifest.cases)
