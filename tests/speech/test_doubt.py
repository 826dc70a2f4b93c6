"""In-chunk doubt: a barely accepted window that sounds like the chunk's other voices
(selective_speaker/speech/doubt.py)."""

import numpy as np
import pytest

from selective_speaker.speech.attribution import attribute_voiceprint
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.doubt import DOUBT_MIN_GAP_MS, in_chunk_doubt
from selective_speaker.speech.types import Decision, Span
from selective_speaker.speech.voiceprint import WindowEmbeddings

VOICEPRINT = np.array([1.0, 0.0, 0.0])  # made on a headset
# In the room's microphone: the owner scores 0.80 against it, a bystander 0.45, and
# two windows score 0.62: one is the bystander again, the other the owner.
OWNER_HERE = [0.8, 0.0, 0.6]
OTHER_HERE = [0.45, 0.893, 0.0]
OTHER_BORDERLINE = [0.62, 0.78, 0.0]
OWNER_BORDERLINE = [0.62, 0.0, 0.785]
CONFIG = EngineConfig(cluster_weight=0.0, smoothing_windows=1, refine_boundaries=False, doubt_margin=None)


def chunk(*vectors, step_ms=2000):
    unit = [np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for v in vectors]
    spans = [Span(i * step_ms, i * step_ms + 1500) for i in range(len(vectors))]
    return WindowEmbeddings(spans, list(range(len(vectors))), np.stack(unit))


def scores_of(emb):
    return emb.vectors @ VOICEPRINT.astype(np.float32)


def test_a_barely_accepted_window_like_the_chunks_other_voice_is_in_doubt():
    emb = chunk(OWNER_HERE, OWNER_HERE, OTHER_HERE, OTHER_HERE, OTHER_BORDERLINE, OWNER_BORDERLINE)
    scores = scores_of(emb)
    assert 0.6 <= scores[4] < 0.68 and 0.6 <= scores[5] < 0.68
    assert in_chunk_doubt(emb, scores, threshold=0.6, margin=0.08).tolist() == [False] * 4 + [True, False]


def test_nothing_is_in_doubt_without_two_windows_on_each_side():
    lone_owner = chunk(OWNER_HERE, OTHER_HERE, OTHER_HERE, OTHER_BORDERLINE)
    lone_other = chunk(OWNER_HERE, OWNER_HERE, OTHER_HERE, OTHER_BORDERLINE)
    for emb in (lone_owner, lone_other):
        assert not in_chunk_doubt(emb, scores_of(emb), threshold=0.6, margin=0.08).any()


def test_windows_that_share_its_audio_are_no_evidence():
    # windows 1 s apart: the bystander's windows either side of the borderline one share its audio
    assert DOUBT_MIN_GAP_MS > 1000
    near = chunk(OTHER_HERE, OTHER_BORDERLINE, OTHER_HERE, OWNER_HERE, OWNER_HERE, OWNER_HERE, step_ms=1000)
    assert not in_chunk_doubt(near, scores_of(near), threshold=0.6, margin=0.08)[1]
    later = chunk(OTHER_HERE, OTHER_BORDERLINE, OTHER_HERE, OWNER_HERE, OWNER_HERE, OWNER_HERE, OTHER_HERE, step_ms=1000)
    assert in_chunk_doubt(later, scores_of(later), threshold=0.6, margin=0.08)[1]  # the same voice, later


def test_the_engine_turns_doubt_into_uncertain_and_never_into_owner():
    emb = chunk(OWNER_HERE, OWNER_HERE, OTHER_HERE, OTHER_HERE, OTHER_BORDERLINE, OWNER_BORDERLINE)
    plain = attribute_voiceprint(emb, VOICEPRINT, 12000, CONFIG)
    doubting = attribute_voiceprint(emb, VOICEPRINT, 12000, CONFIG.with_(doubt_margin=0.08))
    decided = lambda att: [(r.start_ms, r.decision) for r in att.regions]  # noqa: E731
    assert decided(plain)[4] == (8000, Decision.OWNER)
    assert decided(doubting)[4] == (8000, Decision.UNCERTAIN)
    assert [d for i, d in enumerate(decided(doubting)) if i != 4] == [d for i, d in enumerate(decided(plain)) if i != 4]
    assert Span(8000, 9500) in doubting.uncertain and Span(10000, 11500) in doubting.owner


def test_a_gap_asks_for_a_clear_difference():
    emb = chunk(OWNER_HERE, OWNER_HERE, OTHER_HERE, OTHER_HERE, OTHER_BORDERLINE, OWNER_BORDERLINE)
    scores = scores_of(emb)
    assert in_chunk_doubt(emb, scores, threshold=0.6, margin=0.08, gap=0.10)[4]  # 0.98 against 0.50
    assert not in_chunk_doubt(emb, scores, threshold=0.6, margin=0.08, gap=0.60)[4]


def test_it_is_on_by_default_and_its_settings_are_checked():
    assert EngineConfig().doubt_margin == 0.08 and EngineConfig().doubt_gap == 0.10
    assert EngineConfig(doubt_margin=None).doubt_margin is None  # off
    for bad in ({"doubt_margin": 0.0}, {"doubt_gap": -0.1}):
        with pytest.raises(ValueError, match="doubt_"):
            EngineConfig(**bad)
