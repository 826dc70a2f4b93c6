import numpy as np

from selective_speaker.speech.attribution import (
    attribute_voiceprint,
    decide,
    frame_grid,
    refine_boundaries,
)
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.types import Decision, Span
from selective_speaker.speech.voiceprint import WindowEmbeddings

OWNER = np.array([1.0, 0.0, 0.0], dtype=np.float32)
OTHER = np.array([0.0, 1.0, 0.0], dtype=np.float32)
CONFIG = EngineConfig(cluster_weight=0.0, smoothing_windows=1, doubt_margin=None)  # each mechanism alone


def embeddings(spans, vectors, span_index=None, feats=None):
    return WindowEmbeddings(
        list(spans), span_index or [0] * len(spans), np.asarray(vectors, dtype=np.float32), feats
    )


def test_it_spreads_window_scores_onto_10_ms_frames():
    grid = frame_grid(3000, [Span(0, 1500), Span(750, 2250)], np.array([1.0, 0.0]))
    assert grid[0] == 1.0
    assert grid[100] == 0.5  # 1000 ms: both windows
    assert grid[200] == 0.0
    assert np.isnan(grid[250])


def test_it_decides_owner_uncertain_and_other_by_threshold_and_margin():
    config = EngineConfig(accept_threshold=0.6, uncertain_margin=0.1)
    scores = np.array([0.7] * 50 + [0.55] * 50 + [0.3] * 50 + [np.nan] * 10)
    runs = decide(scores, config)
    assert [(s, e, d) for s, e, d, _ in runs] == [
        (0, 500, Decision.OWNER),
        (500, 1000, Decision.UNCERTAIN),
        (1000, 1500, Decision.OTHER),
    ]


def test_it_does_not_trust_an_owner_blip_too_short_for_a_word():
    scores = np.array([0.3] * 50 + [0.9] * 10 + [0.3] * 50)
    runs = decide(scores, EngineConfig(accept_threshold=0.6))
    assert Decision.OWNER not in {d for _, _, d, _ in runs}


def test_it_keeps_the_owner_windows_and_drops_the_others():
    spans = [Span(0, 1500), Span(2000, 3500), Span(4000, 5500)]
    emb = embeddings(spans, [OWNER, OTHER, OWNER], span_index=[0, 1, 2])
    att = attribute_voiceprint(emb, OWNER, 6000, CONFIG)
    assert att.owner == [Span(0, 1500), Span(4000, 5500)]
    assert [r.decision for r in att.regions] == [Decision.OWNER, Decision.OTHER, Decision.OWNER]


def test_it_lets_a_voices_cluster_carry_its_weak_windows():
    # A bystander window that happens to score near the threshold is pulled down by the
    # rest of the bystander's windows when cluster_weight > 0.
    near = np.array([0.62, 0.78, 0.0])
    near /= np.linalg.norm(near)
    vectors = [OWNER, OWNER, OTHER, OTHER, near]
    spans = [Span(i * 2000, i * 2000 + 1500) for i in range(5)]
    alone = attribute_voiceprint(embeddings(spans, vectors, list(range(5))), OWNER, 10000, CONFIG)
    clustered = attribute_voiceprint(
        embeddings(spans, vectors, list(range(5))),
        OWNER,
        10000,
        CONFIG.with_(cluster_weight=0.5, cluster_distance=0.5),
    )
    assert Span(8000, 9500) in alone.owner
    assert Span(8000, 9500) not in clustered.owner


class ScriptedEmbedder:
    """Gives each short window the owner's or the other's vector by where its middle lies."""

    def __init__(self, change_ms):
        self.change_ms = change_ms

    def embed_windows(self, feats, frames):
        return np.stack([OWNER if (s + e) * 5 < self.change_ms else OTHER for s, e in frames])


def test_it_moves_a_blurred_hand_over_to_the_change_point():
    # One continuous stretch: owner until 2300 ms, then somebody else. The long windows put
    # the boundary at 3000 ms; short windows find 2300.
    spans = [Span(0, 1500), Span(1500, 3000), Span(3000, 4500), Span(4500, 6000)]
    emb = embeddings(spans, [OWNER, OWNER, OTHER, OTHER], feats=np.zeros((600, 80), dtype=np.float32))
    att = attribute_voiceprint(emb, OWNER, 6000, CONFIG)
    assert att.owner == [Span(0, 3000)]
    refined = refine_boundaries(att, emb, ScriptedEmbedder(2300), OWNER, CONFIG)
    (owner,) = refined.owner
    assert abs(owner.end_ms - 2300) <= 100
    assert refined.regions[1].start_ms == owner.end_ms


# --- negatives: voices staff confirmed are not the owner's ----------------------------------

NEAR = np.array([0.62, 0.78, 0.0], dtype=np.float32)  # cosine 0.62 to OWNER: owner by threshold
NEAR /= np.linalg.norm(NEAR)


def five_windows(vectors):
    spans = [Span(i * 2000, i * 2000 + 1500) for i in range(len(vectors))]
    return embeddings(spans, vectors, list(range(len(vectors))))


def test_it_decides_exactly_as_without_negatives_when_there_are_none():
    emb = five_windows([OWNER, OWNER, OTHER, NEAR, OWNER])
    clustered = CONFIG.with_(cluster_weight=0.5, cluster_distance=0.5, smoothing_windows=3)
    for config in (CONFIG, clustered):
        plain = attribute_voiceprint(emb, OWNER, 10_000, config)
        for negatives in (None, np.zeros((0, 3), dtype=np.float32)):
            again = attribute_voiceprint(emb, OWNER, 10_000, config, negatives)
            assert again.regions == plain.regions
            np.testing.assert_array_equal(again.frame_scores, plain.frame_scores)
            assert again.vetoed_ms == 0
    grid = np.array([0.7] * 30 + [0.55] * 30 + [np.nan] * 5)
    assert decide(grid, CONFIG, None) == decide(grid, CONFIG)


def test_it_gives_speech_that_sounds_like_a_negative_to_the_other_voice():
    emb = five_windows([OWNER, OWNER, NEAR, NEAR, OWNER])
    without = attribute_voiceprint(emb, OWNER, 10_000, CONFIG)
    assert Span(4000, 5500) in without.owner  # 0.62 ≥ 0.60: the near voice passes for the owner
    att = attribute_voiceprint(emb, OWNER, 10_000, CONFIG, np.stack([NEAR]))
    assert att.owner == [Span(0, 1500), Span(2000, 3500), Span(8000, 9500)]
    assert [r.decision for r in att.regions] == [Decision.OWNER] * 2 + [Decision.OTHER] * 2 + [Decision.OWNER]
    assert att.regions[2].similarity == without.regions[2].similarity  # the audit keeps the owner score
    assert att.vetoed_ms == 3000


def test_it_keeps_the_owner_when_a_negative_is_not_closer_by_the_margin():
    # cosine 0.70 to the voiceprint, 0.75 to the negative: 0.05 < negative_margin (0.10)
    window = np.array([0.7, np.sqrt(1 - 0.49), 0.0], dtype=np.float32)
    angle = np.arccos(0.7) + np.arccos(0.75)
    negative = np.array([np.cos(angle), np.sin(angle), 0.0], dtype=np.float32)
    assert np.isclose(window @ negative, 0.75, atol=1e-3)
    emb = five_windows([window, OWNER])
    att = attribute_voiceprint(emb, OWNER, 4000, CONFIG, negative[None, :])
    assert att.owner == [Span(0, 1500), Span(2000, 3500)] and att.vetoed_ms == 0
    stricter = attribute_voiceprint(emb, OWNER, 4000, CONFIG.with_(negative_margin=0.02), negative[None, :])
    assert stricter.owner == [Span(2000, 3500)]


def test_it_cannot_silence_the_owner_with_the_voiceprint_itself_as_a_negative():
    # A negative equal to the voiceprint scores every window exactly as the voiceprint does:
    # evidence 0, never above the margin.
    emb = five_windows([OWNER, NEAR, OTHER])
    plain = attribute_voiceprint(emb, OWNER, 6000, CONFIG)
    att = attribute_voiceprint(emb, OWNER, 6000, CONFIG, OWNER[None, :])
    assert att.regions == plain.regions and att.vetoed_ms == 0


def test_it_judges_a_voice_on_its_cluster_with_negatives_too():
    # One NEAR-voice window that happens to sound like the owner: its cluster carries the veto.
    near_owner = np.array([0.9, 0.436, 0.0], dtype=np.float32)
    near_owner /= np.linalg.norm(near_owner)
    vectors = [OWNER, OWNER, NEAR, NEAR, NEAR, near_owner]
    config = CONFIG.with_(cluster_weight=0.5, cluster_distance=0.3)
    emb = five_windows(vectors)
    labels_near = {2, 3, 4, 5}
    assert attribute_voiceprint(emb, OWNER, 12_000, config).regions[5].decision == Decision.OWNER
    att = attribute_voiceprint(emb, OWNER, 12_000, config, NEAR[None, :])
    decided = {i: r.decision for i, r in enumerate(att.regions)}
    assert [decided[i] for i in sorted(labels_near)] == [Decision.OTHER] * 4
    assert decided[0] == decided[1] == Decision.OWNER
