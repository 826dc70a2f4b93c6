"""Another voice inside an owner region (speech/intrusions.py): synthetic windows, then real speech."""

import json

import numpy as np
import pytest

from selective_speaker.speech.attribution import attribute_voiceprint
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.intrusions import carve_intrusions, other_voices, owner_reference, suspect_stretches
from selective_speaker.speech.types import Decision, Span
from selective_speaker.speech.voiceprint import WindowEmbeddings
from selective_speaker.speech.windows import intersect_intervals, intervals_ms

from ..speechlab.conftest import DATA_ROOT, REPO, needs_shared_data

MANIFEST = REPO / "selective_speaker" / "speechlab" / "manifests" / "realistic.json"

ME = np.array([1.0, 0.0, 0.0], dtype=np.float32)
YOU = np.array([0.0, 1.0, 0.0], dtype=np.float32)
MOSTLY_ME = np.array([0.8, 0.6, 0.0], dtype=np.float32)  # a window half over an interjection: 0.8 to ME
CONFIG = EngineConfig(cluster_weight=0.0, smoothing_windows=1, refine_boundaries=False)


class ScriptedEmbedder:
    """Short windows get the other voice's vector when their middle lies in `other` (ms)."""

    def __init__(self, other):
        self.other = other
        self.calls = 0

    def embed_windows(self, feats, frames):
        self.calls += 1
        middles = [(s + e) * 5 for s, e in frames]  # 10 ms filterbank frames
        return np.stack([YOU if any(lo <= m < hi for lo, hi in self.other) else ME for m in middles])


def chunk(vectors, hop_ms=750, window_ms=1500):
    spans = [Span(i * hop_ms, i * hop_ms + window_ms) for i in range(len(vectors))]
    feats = np.zeros((spans[-1].end_ms // 10, 80), dtype=np.float32)
    return WindowEmbeddings(spans, [0] * len(spans), np.asarray(vectors, dtype=np.float32), feats)


def test_it_carves_a_short_interjection_out_of_an_owner_region():
    # Owner talking for 6 s with another voice's 1 s interjection at 3.0–4.0 s (the regular
    # windows over it still score 0.8: owner), and that other voice on its own afterwards.
    emb = chunk([ME, ME, ME, MOSTLY_ME, MOSTLY_ME, ME, ME, YOU, YOU, YOU])
    att = attribute_voiceprint(emb, ME, 9000, CONFIG)
    assert att.owner == [Span(0, 5250)]
    carved = carve_intrusions(att, emb, ScriptedEmbedder([(3000, 4000)]), ME, CONFIG)
    owner = [(s.start_ms, s.end_ms) for s in carved.owner]
    assert intervals_ms(intersect_intervals(owner, [(3000, 4000)])) <= 100
    assert intervals_ms(owner) >= 4000  # the owner's 4.25 s around it stay
    others = [(r.start_ms, r.end_ms) for r in carved.regions if r.decision == Decision.OTHER]
    assert intervals_ms(intersect_intervals(others, [(3000, 4000)])) >= 900


def test_it_leaves_a_chunk_without_another_voice_as_it_is():
    emb = chunk([ME, ME, MOSTLY_ME, MOSTLY_ME, ME])
    att = attribute_voiceprint(emb, ME, 4500, CONFIG)
    embedder = ScriptedEmbedder([(1500, 2500)])
    assert other_voices(emb, att.window_scores, CONFIG) is None
    assert carve_intrusions(att, emb, embedder, ME, CONFIG) is att
    assert embedder.calls == 0  # no other voice to compare with: nothing is even scanned


def test_a_known_negative_counts_as_another_voice():
    emb = chunk([ME, ME, MOSTLY_ME, MOSTLY_ME, ME])
    att = attribute_voiceprint(emb, ME, 4500, CONFIG)
    carved = carve_intrusions(att, emb, ScriptedEmbedder([(1600, 2600)]), ME, CONFIG, negatives=YOU[None, :])
    owner = [(s.start_ms, s.end_ms) for s in carved.owner]
    assert intervals_ms(intersect_intervals(owner, [(1600, 2600)])) <= 100


def test_it_scans_only_where_the_regular_windows_dip():
    emb = chunk([ME, ME, ME, MOSTLY_ME, ME, YOU, YOU])
    att = attribute_voiceprint(emb, ME, 6000, CONFIG)
    (suspect,) = suspect_stretches(att, emb, att.window_scores, CONFIG)
    assert suspect == (2250, 3750)  # the one window that dips 0.2 below the region's level
    # a short window that sounds like the other voice outside the dip is not looked at
    carved = carve_intrusions(att, emb, ScriptedEmbedder([(600, 1200)]), ME, CONFIG)
    assert carved.owner == att.owner


def test_it_only_ever_takes_speech_from_the_owner():
    emb = chunk([ME, ME, ME, MOSTLY_ME, YOU, YOU])
    att = attribute_voiceprint(emb, ME, 5250, CONFIG)
    carved = carve_intrusions(att, emb, ScriptedEmbedder([(0, 5250)]), ME, CONFIG)  # every short window: YOU
    before = {(r.start_ms, r.end_ms): r.decision for r in att.regions if r.decision != Decision.OWNER}
    for r in carved.regions:
        for (lo, hi), decision in before.items():
            if r.start_ms < hi and r.end_ms > lo:
                assert r.decision == decision  # non-owner speech keeps its decision
    assert intervals_ms([(s.start_ms, s.end_ms) for s in carved.owner]) < intervals_ms(
        [(s.start_ms, s.end_ms) for s in att.owner]
    )


# --- real speech: the suite's fast turn-taking between two close voices ---------------------------


@pytest.mark.slow
@needs_shared_data
def test_the_real_engine_keeps_a_close_voices_interjections_out_of_the_owners_words(tmp_path, engine_config):
    """overlap/fast-turns/ls3005 of the realistic suite (two close male voices, 1–3 s turns, gaps
    under 200 ms), rendered from the shipped manifest: without the scan the other voice's short
    turns are transcribed inside the owner's utterances (leak ≈ 9 %)."""
    from selective_speaker.speech.engine import Engine
    from selective_speaker.speechlab.conversation import voice_pool
    from selective_speaker.speechlab.manifest import load_manifest
    from selective_speaker.speechlab.manifests.realistic_audio import render_case
    from selective_speaker.speechlab.runner import Enrollments, run_case

    shipped = json.loads(MANIFEST.read_text())
    raw = next(c for c in shipped["cases"] if c["id"] == "overlap/fast-turns/ls3005")
    render_case(raw, voice_pool(DATA_ROOT), tmp_path)
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"name": "one", "cases": [raw]}))
    (case,) = load_manifest(path, data_root=DATA_ROOT, audio_root=tmp_path).cases
    coverage = {}
    for scan in (False, True):  # the scan alone: in-chunk doubt (speech/doubt.py) takes some of that leak too
        engine = Engine.shared(engine_config.with_(intrusion_scan=scan, doubt_margin=None))
        coverage[scan] = run_case(engine, case, enrollments=Enrollments(engine))["coverage"]
    assert coverage[False]["leak"] >= 0.05  # what the scan is for
    assert coverage[True]["leak"] <= 0.02
    assert coverage[True]["recall"] >= coverage[False]["recall"] - 0.05


def test_the_owner_side_is_the_chunks_own_owner_windows_or_the_voiceprint():
    emb = chunk([ME, MOSTLY_ME, ME, YOU, YOU])
    att = attribute_voiceprint(emb, ME, 4500, CONFIG)
    own = owner_reference(att, emb, att.window_scores, ME, CONFIG.with_(intrusion_reference="chunk"))
    assert att.owner == [Span(0, 2250)]  # the windows centred in it: ME and MOSTLY_ME
    expected = (ME + MOSTLY_ME) / np.linalg.norm(ME + MOSTLY_ME)
    np.testing.assert_allclose(own, expected, atol=1e-6)  # as this device and room make the owner sound
    assert owner_reference(att, emb, att.window_scores, ME, CONFIG.with_(intrusion_reference="voiceprint")) is ME
    lone = chunk([ME, YOU, YOU])  # one owner window is too little to stand for the owner
    lone_att = attribute_voiceprint(lone, ME, 3000, CONFIG)
    assert owner_reference(lone_att, lone, lone_att.window_scores, ME, CONFIG) is ME
