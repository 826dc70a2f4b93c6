"""Owner attribution, voiceprint strategy: which stretches of speech are the owner's.

Speech spans (VAD) → overlapping windows → CAM++ embeddings → cosine similarity to the
voiceprint. Optionally the windows are clustered first (average linkage, cosine) and each
window's score is blended with its cluster's mean score, so one voice is judged on all of its
evidence in the chunk — this is what carries short turns. Scores are smoothed along each span,
spread onto a 10 ms frame grid (each frame takes the mean of the windows covering it) and
thresholded: owner ≥ threshold, uncertain within `uncertain_margin` below it, other below.

Negatives (optional): embeddings of voices staff confirmed are *not* the owner's. A window's
negative evidence is its best cosine to a negative minus its cosine to the voiceprint, blended
with its cluster and smoothed exactly like the owner score, then spread onto the frame grid;
a frame whose evidence exceeds `negative_margin` is other, whatever its owner score. Without
negatives (None or empty) nothing of this runs and the decisions are exactly the usual ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .config import EngineConfig
from .doubt import in_chunk_doubt
from .features import FRAME_SHIFT_MS
from .types import FRAME_MS, Decision, Region, Span
from .voiceprint import WindowEmbeddings
from .windows import (
    intersect_intervals,
    intervals_ms,
    merge_intervals,
    merge_spans,
    overlap_ms,
    span_intervals,
    subtract_intervals,
    subtract_spans,
)

_OTHER, _UNCERTAIN, _OWNER = 0, 1, 2
_CODES = {_OWNER: Decision.OWNER, _UNCERTAIN: Decision.UNCERTAIN, _OTHER: Decision.OTHER}


@dataclass(slots=True)
class Attribution:
    owner: list[Span]  # stretches to transcribe
    uncertain: list[Span]
    regions: list[Region]  # every decided run of speech: the audit record
    frame_scores: np.ndarray  # per 10 ms frame, NaN outside speech
    window_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cluster_labels: np.ndarray | None = None
    # speech the negatives turned to other that would have been owner or uncertain
    vetoed_ms: int = 0

    def mean_score(self, start_ms: int, end_ms: int) -> float:
        piece = self.frame_scores[start_ms // FRAME_MS : max(start_ms // FRAME_MS + 1, end_ms // FRAME_MS)]
        piece = piece[~np.isnan(piece)]
        return float(piece.mean()) if piece.size else float("nan")


def with_regions(att: Attribution, regions: list[Region]) -> Attribution:
    """`att` decided anew as `regions` (in time order): its owner and uncertain stretches follow them."""
    return replace(
        att,
        regions=regions,
        owner=merge_spans(Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.OWNER),
        uncertain=merge_spans(Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.UNCERTAIN),
    )


def cluster_windows(vectors: np.ndarray, distance: float) -> np.ndarray:
    """Agglomerative (average linkage, cosine) labels of the window embeddings."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    )
    return model.fit_predict(vectors)


def _smooth(scores: np.ndarray, span_index: list[int], width: int) -> np.ndarray:
    """Moving average of `width` windows, never across two VAD spans."""
    if width <= 1 or scores.size == 0:
        return scores
    out = scores.copy()
    half = width // 2
    owners = np.asarray(span_index)
    for i in range(scores.size):
        lo, hi = max(0, i - half), min(scores.size, i + half + 1)
        same = owners[lo:hi] == owners[i]
        out[i] = scores[lo:hi][same].mean()
    return out


def _blend_and_smooth(raw: np.ndarray, labels: np.ndarray | None, emb: WindowEmbeddings, config: EngineConfig):
    """Each window's value blended with its cluster's mean (when clustered), then smoothed."""
    values = raw.astype(np.float64)
    if labels is not None:
        cluster_mean = np.zeros(labels.max() + 1)
        for label in np.unique(labels):
            cluster_mean[label] = values[labels == label].mean()
        values = (1 - config.cluster_weight) * values + config.cluster_weight * cluster_mean[labels]
    return _smooth(values, emb.span_index, config.smoothing_windows)


def window_scores(emb: WindowEmbeddings, voiceprint: np.ndarray, config: EngineConfig):
    """(final window scores, raw cosine scores, cluster labels or None)."""
    raw = emb.vectors @ voiceprint.astype(np.float32)
    labels = None
    if config.cluster_weight > 0 and len(raw) >= 2:
        labels = cluster_windows(emb.vectors, config.cluster_distance)
    return _blend_and_smooth(raw, labels, emb, config), raw, labels


def negative_evidence(
    emb: WindowEmbeddings, raw: np.ndarray, negatives: np.ndarray, labels: np.ndarray | None, config: EngineConfig
) -> np.ndarray:
    """Per window: best cosine to a negative minus cosine to the voiceprint (`raw`), blended
    and smoothed like the owner score. > 0: the window sounds more like a known other voice."""
    best = (emb.vectors @ np.asarray(negatives, dtype=np.float32).T).max(axis=1)
    return _blend_and_smooth(best - raw, labels, emb, config)


def frame_grid(duration_ms: int, windows: list[Span], scores: np.ndarray) -> np.ndarray:
    """Each 10 ms frame's mean score over the windows covering it (NaN where none does)."""
    n = -(-duration_ms // FRAME_MS)
    total = np.zeros(n)
    count = np.zeros(n)
    for window, score in zip(windows, scores):
        lo, hi = window.start_ms // FRAME_MS, min(n, -(-window.end_ms // FRAME_MS))
        total[lo:hi] += score
        count[lo:hi] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def runs_of(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """(start_frame, end_frame, code) for each run of equal codes, skipping -1 (no speech)."""
    runs = []
    if codes.size == 0:
        return runs
    change = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [codes.size]])
    for lo, hi in zip(starts, ends):
        if codes[lo] >= 0:
            runs.append((int(lo), int(hi), int(codes[lo])))
    return runs


def decide(
    frame_scores: np.ndarray,
    config: EngineConfig,
    vetoed: np.ndarray | None = None,
    doubted: np.ndarray | None = None,
) -> list[tuple[int, int, Decision, float]]:
    """Runs of equal decision over the frame grid: (start_ms, end_ms, decision, mean score).

    `vetoed` (bool per frame, optional) marks frames a negative claims: they are other.
    `doubted` (bool per frame, optional) marks frames in doubt (in_chunk_doubt): not owner,
    uncertain.
    """
    codes = np.full(frame_scores.size, -1, dtype=int)
    speech = ~np.isnan(frame_scores)
    threshold = config.accept_threshold
    codes[speech] = _OTHER
    codes[speech & (frame_scores >= threshold - config.uncertain_margin)] = _UNCERTAIN
    codes[speech & (frame_scores >= threshold)] = _OWNER
    if doubted is not None:
        codes[speech & doubted & (codes == _OWNER)] = _UNCERTAIN
    if vetoed is not None:
        codes[speech & vetoed] = _OTHER
    # An owner run too short to hold a word counts as uncertain, not owner.
    for lo, hi, code in runs_of(codes):
        if code == _OWNER and (hi - lo) * FRAME_MS < config.min_owner_run_ms:
            codes[lo:hi] = _UNCERTAIN
    return [
        (lo * FRAME_MS, hi * FRAME_MS, _CODES[code], float(np.mean(frame_scores[lo:hi])))
        for lo, hi, code in runs_of(codes)
    ]


def attribute_voiceprint(
    emb: WindowEmbeddings,
    voiceprint: np.ndarray,
    duration_ms: int,
    config: EngineConfig,
    negatives: np.ndarray | None = None,
) -> Attribution:
    """Owner, uncertain and other regions of a chunk from its window embeddings.

    `negatives` (k × dim, optional): voices known not to be the owner's; see the module's
    docstring. None or an empty array leaves every decision as it is without them.
    """
    if not emb.spans:
        return Attribution([], [], [], np.full(-(-duration_ms // FRAME_MS), np.nan))
    scores, raw, labels = window_scores(emb, voiceprint, config)
    grid = frame_grid(duration_ms, emb.spans, scores)
    vetoed = None
    vetoed_ms = 0
    if negatives is not None and len(negatives):
        evidence = frame_grid(duration_ms, emb.spans, negative_evidence(emb, raw, negatives, labels, config))
        with np.errstate(invalid="ignore"):
            vetoed = evidence > config.negative_margin  # NaN (no speech) compares False
            claimed = vetoed & (grid >= config.accept_threshold - config.uncertain_margin)
        vetoed_ms = int(claimed.sum()) * FRAME_MS
    doubted = None
    if config.doubt_margin is not None:
        doubt = in_chunk_doubt(emb, scores, config.accept_threshold, config.doubt_margin, gap=config.doubt_gap)
        if doubt.any():
            with np.errstate(invalid="ignore"):
                doubted = frame_grid(duration_ms, emb.spans, doubt.astype(np.float64)) >= 0.5
    runs = decide(grid, config, vetoed, doubted)
    regions = [Region(start, min(end, duration_ms), round(score, 4), decision) for start, end, decision, score in runs]
    owner = [Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.OWNER]
    uncertain = [Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.UNCERTAIN]
    return Attribution(owner, uncertain, regions, grid, raw, labels, vetoed_ms)


# --- boundary refinement -------------------------------------------------------------------

# Where the owner hands over to another voice without a pause, the regular windows blur the
# change over about one window. Short windows around the boundary, each compared with the
# owner's voiceprint and with the neighbouring voice's centroid, place it precisely (the
# refine_* settings of EngineConfig say how, and how they were chosen).


def _centroid_inside(emb: WindowEmbeddings, region: Span, inside_share: float) -> np.ndarray | None:
    inside = [i for i, w in enumerate(emb.spans) if overlap_ms(w, region) >= inside_share * w.duration_ms]
    if not inside:
        return None
    centroid = emb.vectors[inside].mean(axis=0)
    return centroid / max(np.linalg.norm(centroid), 1e-12)


def _change_point(
    emb: WindowEmbeddings,
    embedder,
    voiceprint: np.ndarray,
    other: np.ndarray,
    lo: int,
    hi: int,
    owner_first: bool,
    config: EngineConfig,
) -> int | None:
    """The time in [lo, hi] that best splits owner-like from other-like short windows."""
    window_ms = config.refine_window_ms
    hi = min(hi, len(emb.feats) * FRAME_SHIFT_MS)  # the filterbank ends a frame or two before the audio
    starts = list(range(lo, hi - window_ms + 1, config.refine_hop_ms))
    if len(starts) < 3:
        return None
    frames = [(s // FRAME_SHIFT_MS, (s + window_ms) // FRAME_SHIFT_MS) for s in starts]
    vectors = embedder.embed_windows(emb.feats, frames)
    evidence = vectors @ voiceprint - vectors @ other  # > 0: sounds like the owner
    if not owner_first:
        evidence = -evidence
    # split k: windows [0, k) on the owner's side, [k, n) on the other's
    left = np.concatenate([[0.0], np.cumsum(evidence)])
    right = left[-1] - left
    k = int(np.argmax(left - right))
    if k in (0, len(starts)):
        return None
    return (starts[k - 1] + starts[k]) // 2 + window_ms // 2


def _non_owner_run(regions: list[Region], index: int, step: int) -> Span:
    """The contiguous non-owner speech (uncertain and other) from regions[index] on."""
    start, end = regions[index].start_ms, regions[index].end_ms
    j = index + step
    while 0 <= j < len(regions) and regions[j].decision != Decision.OWNER:
        r = regions[j]
        if (step > 0 and r.start_ms != end) or (step < 0 and r.end_ms != start):
            break
        start, end = min(start, r.start_ms), max(end, r.end_ms)
        j += step
    return Span(start, end)


def refine_boundaries(
    att: Attribution, emb: WindowEmbeddings, embedder, voiceprint: np.ndarray, config: EngineConfig
) -> Attribution:
    """Move each owner/other boundary inside continuous speech to the best change point."""
    regions = list(att.regions)
    if emb.feats is None:
        return att
    for i in range(len(regions) - 1):
        a, b = regions[i], regions[i + 1]
        if not a.hands_over_to(b):
            continue
        owner_first = a.decision == Decision.OWNER
        run = _non_owner_run(regions, i + 1 if owner_first else i, 1 if owner_first else -1)
        other = _centroid_inside(emb, run, config.refine_centroid_inside)
        if other is None:
            continue
        # short-window centres range over the boundary ± refine_radius_ms
        reach = config.refine_radius_ms + config.refine_window_ms // 2
        lo = max(a.start_ms, a.end_ms - reach)
        hi = min(b.end_ms, b.start_ms + reach)
        cut = _change_point(emb, embedder, voiceprint, other, lo, hi, owner_first, config)
        if cut is None or not a.start_ms < cut < b.end_ms:
            continue
        regions[i] = Region(a.start_ms, cut, a.similarity, a.decision)
        regions[i + 1] = Region(cut, b.end_ms, b.similarity, b.decision)
    return with_regions(att, [r for r in regions if r.end_ms - r.start_ms > 0])


# --- anchored strategy -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnchorOutcome:
    """Which diarization label is the owner, judged on the enrollment window."""

    label: str | None
    dominance: float
    reason: str = ""


def anchor_owner_label(turns, enroll_ms: int, dominance: float) -> AnchorOutcome:
    """The label covering at least `dominance` of the speech in [0, enroll_ms), if any."""
    covered: dict[str, int] = {}
    for turn in turns:
        ms = min(turn.end_ms, enroll_ms) - max(turn.start_ms, 0)
        if ms > 0:
            covered[turn.label] = covered.get(turn.label, 0) + ms
    total = sum(covered.values())
    if total == 0:
        return AnchorOutcome(None, 0.0, "no speech was found in the enrollment window")
    label, ms = max(covered.items(), key=lambda item: item[1])
    share = ms / total
    if share < dominance:
        return AnchorOutcome(None, share, f"no voice dominates the enrollment window ({share:.0%} < {dominance:.0%})")
    return AnchorOutcome(label, share)


def attribute_anchored(turns, owner_label: str, offset_ms: int, duration_ms: int) -> Attribution:
    """Owner/other regions of the chunk from a diarization of enrollment + pad + chunk."""
    regions: list[Region] = []
    for turn in sorted(turns, key=lambda t: t.start_ms):
        start, end = max(turn.start_ms - offset_ms, 0), min(turn.end_ms - offset_ms, duration_ms)
        if end <= start:
            continue
        decision = Decision.OWNER if turn.label == owner_label else Decision.OTHER
        regions.append(Region(start, end, float("nan"), decision))
    # Overlapping turns of two labels: the other voice wins the overlap (privacy first).
    owner = [Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.OWNER]
    others = [Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.OTHER]
    owner = subtract_spans(owner, others)
    grid = np.full(-(-duration_ms // FRAME_MS), np.nan)
    for r in regions:
        grid[r.start_ms // FRAME_MS : r.end_ms // FRAME_MS] = 1.0 if r.decision == Decision.OWNER else 0.0
    owner_regions = [Region(s.start_ms, s.end_ms, float("nan"), Decision.OWNER) for s in owner]
    other_regions = [r for r in regions if r.decision == Decision.OTHER]
    ordered = sorted(owner_regions + other_regions, key=lambda r: r.start_ms)
    return Attribution(owner, [], ordered, grid)



def owner_in_doubt(att: Attribution) -> Attribution:
    """`att` with all of its speech uncertain: a chunk whose voices cannot be told apart is put to
    the owner ("Was this you?") instead of transcribed, or dropped, on a guess."""
    return with_regions(att, [replace(r, decision=Decision.UNCERTAIN) for r in att.regions])


def confirmed_speech(owner: Sequence[Span], other: Sequence[Span]) -> list[tuple[int, int]]:
    """The speech the owner confirmed as theirs and never denied ("not me" wins), as intervals."""
    return subtract_intervals(merge_intervals(span_intervals(owner)), span_intervals(other))


def apply_answers(
    att: Attribution, *, owner: Sequence[Span] = (), other: Sequence[Span] = ()
) -> tuple[Attribution, int, int]:
    """The owner's own answers override the decision on their stretches: speech inside a span
    they confirmed ("that was me") is owner, inside one they denied ("not me") is other; where
    both cover the same speech, "not me" wins (privacy first). Returns the new attribution and
    how much speech each kind of answer decided (ms)."""
    said_owner = confirmed_speech(owner, other)
    said_other = merge_intervals(span_intervals(other))
    regions = []
    for r in att.regions:
        piece = [(r.start_ms, r.end_ms)]
        for start, end in intersect_intervals(piece, said_owner):
            regions.append(Region(start, end, r.similarity, Decision.OWNER))
        for start, end in intersect_intervals(piece, said_other):
            regions.append(Region(start, end, r.similarity, Decision.OTHER))
        for start, end in subtract_intervals(piece, said_owner + said_other):
            regions.append(Region(start, end, r.similarity, r.decision))
    regions.sort(key=lambda r: r.start_ms)
    speech = [(r.start_ms, r.end_ms) for r in att.regions]
    return with_regions(att, regions), intervals_ms(intersect_intervals(speech, said_owner)), intervals_ms(
        intersect_intervals(speech, said_other)
    )
