"""Another voice inside an owner region (speech/intrusions.py): synthetic windows, then real speech."""

import json

import numpy as np
import pytest

from selective_speaker.speech.attribution import attribute_voiceprint
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.intrusions import (
    carve_intrusions,
    chunk_owner,
    other_voices,
    owner_heard_clearly,
    owner_reference,
    suspect_stretches,
)
from selective_speaker.speech.types import Decision, Span
from selective_speaker.speech.voiceprint import WindowEmbeddings
from selective_speaker.speech.windows import intersect_intervals, intervals_ms, merge_intervals, subtract_intervals

from ..speechlab.conftest import DATA_ROOT, REPO, needs_shared_data

MANIFEST = REPO / "selective_speaker" / "speechlab" / "manifests" / "realistic.json"

ME = np.array([1.0, 0.0, 0.0], dtype=np.float32)
YOU = np.array([0.0, 1.0, 0.0], dtype=np.float32)
MOSTLY_ME = np.array([0.8, 0.6, 0.0], dtype=np.float32)  # a window half over an interjection: 0.8 to ME
HALF = np.array([0.57, np.sqrt(1 - 0.57**2), 0.0], dtype=np.float32)  # 0.57 to ME: in the uncertain band
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


@pytest.mark.parametrize("uncertain", [False, True])
def test_it_only_ever_takes_speech_from_the_owner(uncertain):
    config = CONFIG.with_(intrusion_uncertain=uncertain)
    emb = chunk([ME, ME, ME, MOSTLY_ME, HALF, HALF, YOU, YOU])
    att = attribute_voiceprint(emb, ME, 6750, config)
    assert att.uncertain  # owner, uncertain and other speech to start with
    carved = carve_intrusions(att, emb, ScriptedEmbedder([(0, 6750)]), ME, config)  # every short window: YOU
    frames = {}
    for before, after in ((att, False), (carved, True)):
        for r in before.regions:
            for t in range(r.start_ms, r.end_ms, 10):
                frames.setdefault(t, [None, None])[after] = r.decision
    rank = {Decision.OTHER: 0, Decision.UNCERTAIN: 1, Decision.OWNER: 2}
    assert all(rank[b] <= rank[a] for a, b in frames.values())  # never more owner than before
    assert intervals_ms([(s.start_ms, s.end_ms) for s in carved.owner]) < intervals_ms(
        [(s.start_ms, s.end_ms) for s in att.owner]
    )
    assert bool(carved.uncertain) is not uncertain  # the uncertain speech too, when it is scanned


def test_a_card_is_cut_where_the_voice_changes():
    # The owner, then 2.25 s the voiceprint is unsure of: the owner's last words, then another
    # voice's first ones (from 3.3 s), then that voice clearly. Scanned, the other voice's part of
    # the uncertain region is other: the "Was this you?" card left holds only the owner's words.
    emb = chunk([ME, ME, HALF, HALF, HALF, HALF, YOU, YOU])
    att = attribute_voiceprint(emb, ME, 6750, CONFIG)
    assert [(s.start_ms, s.end_ms) for s in att.uncertain] == [(2250, 4500)]
    embedder = ScriptedEmbedder([(3300, 6750)])
    carved = carve_intrusions(att, emb, embedder, ME, CONFIG)
    ((start, end),) = [(s.start_ms, s.end_ms) for s in carved.uncertain]
    assert start == 2250 and abs(end - 3300) <= 100  # the owner's side of the change, to a short-window hop
    others = [(r.start_ms, r.end_ms) for r in carved.regions if r.decision == Decision.OTHER]
    assert intervals_ms(intersect_intervals(others, [(3400, 4500)])) == 1100
    assert carved.owner == att.owner
    # switched off, or with no owner windows of the chunk's own to compare with, cards stay whole
    assert carve_intrusions(att, emb, embedder, ME, CONFIG.with_(intrusion_uncertain=False)).uncertain == att.uncertain
    unsure = chunk([HALF, HALF, HALF, YOU, YOU])
    unsure_att = attribute_voiceprint(unsure, ME, 4500, CONFIG)
    assert not unsure_att.owner and unsure_att.uncertain
    assert carve_intrusions(unsure_att, unsure, embedder, ME, CONFIG) is unsure_att


def test_uncertain_speech_is_not_scanned_where_the_owner_is_mostly_uncertain():
    # A codec lowers every score of the owner's: a little of them is owner, most uncertain, and
    # some below the band would stand among the "other voices" — comparing with those would take
    # the owner's own uncertain speech. More uncertain than owner speech: the cards stay whole.
    emb = chunk([ME, ME, ME, HALF, HALF, HALF, HALF, HALF, HALF, YOU, YOU])
    att = attribute_voiceprint(emb, ME, 9000, CONFIG)
    assert owner_heard_clearly(att) is False
    carved = carve_intrusions(att, emb, ScriptedEmbedder([(3300, 9000)]), ME, CONFIG)
    assert carved.uncertain == att.uncertain
    clear = chunk([ME, ME, ME, ME, HALF, HALF, HALF, YOU, YOU])
    assert owner_heard_clearly(attribute_voiceprint(clear, ME, 7500, CONFIG)) is True


# --- real speech: cases of the realistic suite ---------------------------------------------------


def shipped_case(case_id: str, folder):
    """One case of the shipped realistic manifest, rendered into `folder` and loaded."""
    from selective_speaker.speechlab.conversation import voice_pool
    from selective_speaker.speechlab.manifest import load_manifest
    from selective_speaker.speechlab.manifests.realistic_audio import render_case

    raw = next(c for c in json.loads(MANIFEST.read_text())["cases"] if c["id"] == case_id)
    render_case(raw, voice_pool(DATA_ROOT), folder)
    path = folder / "one.json"
    path.write_text(json.dumps({"name": "one", "cases": [raw]}))
    (case,) = load_manifest(path, data_root=DATA_ROOT, audio_root=folder).cases
    return case


@pytest.mark.slow
@needs_shared_data
def test_the_real_engine_keeps_a_close_voices_interjections_out_of_the_owners_words(tmp_path, engine_config):
    """overlap/fast-turns/ls3005 of the realistic suite (two close male voices, 1–3 s turns, gaps
    under 200 ms), rendered from the shipped manifest: without the scan the other voice's short
    turns are transcribed inside the owner's utterances (leak ≈ 9 %)."""
    from selective_speaker.speech.engine import Engine
    from selective_speaker.speechlab.runner import Enrollments, run_case

    case = shipped_case("overlap/fast-turns/ls3005", tmp_path)
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
    centroid = chunk_owner(att, emb, att.window_scores, CONFIG)
    own = owner_reference(ME, centroid, CONFIG.with_(intrusion_reference="chunk"))
    assert att.owner == [Span(0, 2250)]  # the windows centred in it: ME and MOSTLY_ME
    expected = (ME + MOSTLY_ME) / np.linalg.norm(ME + MOSTLY_ME)
    np.testing.assert_allclose(own, expected, atol=1e-6)  # as this device and room make the owner sound
    assert owner_reference(ME, centroid, CONFIG.with_(intrusion_reference="voiceprint")) is ME
    lone = chunk([ME, YOU, YOU])  # one owner window is too little to stand for the owner
    lone_att = attribute_voiceprint(lone, ME, 3000, CONFIG)
    assert owner_reference(ME, chunk_owner(lone_att, lone, lone_att.window_scores, CONFIG), CONFIG) is ME


@pytest.mark.slow
@needs_shared_data
def test_the_real_engine_cuts_a_card_where_the_bystander_takes_over(tmp_path, engine_config):
    """overlap/overlap-20pct/ls367 of the realistic suite (the owner against their closest voice,
    20 % overlapped): scored whole, one uncertain stretch holds the end of the owner's turn and the
    bystander's next sentence — half each, so an owner answering "me" confirmed the bystander too
    (and their voice joined the voiceprint). Scanned, no card the owner would answer "me" holds
    more than a word's worth of the bystander's speech alone."""
    from selective_speaker.speech.engine import Engine
    from selective_speaker.speechlab.answers import cards_of, owner_says_me
    from selective_speaker.speechlab.manifest import case_turns
    from selective_speaker.speechlab.runner import Enrollments, run_case

    case = shipped_case("overlap/overlap-20pct/ls367", tmp_path)
    turns = case_turns(case)
    owner = [(t.start_ms, t.end_ms) for t in turns if t.speaker == case.owner]
    others = [(t.start_ms, t.end_ms) for t in turns if t.speaker != case.owner]
    bystander_alone = subtract_intervals(merge_intervals(others), merge_intervals(owner))
    worst = {}
    for scan in (False, True):
        engine = Engine.shared(engine_config.with_(intrusion_uncertain=scan))
        regions: list = []
        run_case(engine, case, enrollments=Enrollments(engine), regions_out=regions)
        mine = [c for c in cards_of(regions) if owner_says_me(c, turns, case.owner)]
        worst[scan] = max(
            (intervals_ms(intersect_intervals(bystander_alone, [(c.start_ms, c.end_ms)])) for c in mine), default=0
        )
    assert worst[False] >= 500  # what the scan is for
    assert worst[True] <= 300
