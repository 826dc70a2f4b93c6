"""Another voice inside an owner region: found with short windows, carved out before ASR.

The regular windows (1.5 s every 0.75 s), blended with their cluster and smoothed, carry a
region over a bystander's short interjection or the tail of their turn: a 1 s "said the
unit" between two owner sentences scores like the owner around it, and would be
transcribed into the owner's utterance. Where a window inside an owner region dips (its raw
cosine to the voiceprint falls below the threshold, or well below the region's own level),
short windows scan that stretch and compare each with the voiceprint *and* with the other
voices heard in the same chunk (clusters of windows decided other, and the negatives): a
run that sounds more like one of them than like the owner becomes other.

The test is relative to voices of the same recording, so channel and room cancel; it only
ever turns owner speech into other, never the reverse, so it cannot keep anything for an
owner who is absent. A chunk in which no other voice was heard is left as it is.
"""

from __future__ import annotations

import numpy as np

from .attribution import Attribution, cluster_windows, runs_of, with_regions
from .config import EngineConfig
from .embedding import normalise
from .features import FRAME_SHIFT_MS
from .types import FRAME_MS, Decision, Region
from .voiceprint import WindowEmbeddings
from .windows import merge_intervals, subtract_intervals


def other_voices(
    emb: WindowEmbeddings, raw: np.ndarray, config: EngineConfig, negatives: np.ndarray | None = None
) -> np.ndarray | None:
    """Centroids (k × dim) of the voices of this chunk that are clearly not the owner's: the
    windows scoring below the uncertain band, clustered; plus the negatives. None: no other
    voice was heard."""
    floor = config.accept_threshold - config.uncertain_margin
    others = np.flatnonzero(raw < floor)
    centroids = []
    if others.size:
        labels = cluster_windows(emb.vectors[others], config.cluster_distance)
        for label in np.unique(labels):
            centroids.append(normalise(emb.vectors[others[labels == label]].mean(axis=0)))
    if negatives is not None and len(negatives):
        centroids.extend(np.asarray(negatives, dtype=np.float32))
    return np.stack(centroids).astype(np.float32) if centroids else None


def owner_reference(att: Attribution, emb: WindowEmbeddings, raw: np.ndarray, voiceprint, config: EngineConfig):
    """What short windows are compared with as the owner: the voiceprint, or (intrusion_reference
    "chunk") the centroid of this chunk's windows decided owner — the owner as this device, room and
    noise make them sound, like the other voices it is weighed against."""
    if config.intrusion_reference != "chunk":
        return voiceprint
    owner = [(r.start_ms, r.end_ms) for r in att.regions if r.decision == Decision.OWNER]
    inside = [
        i
        for i, w in enumerate(emb.spans)
        if raw[i] >= config.accept_threshold and any(lo <= (w.start_ms + w.end_ms) // 2 < hi for lo, hi in owner)
    ]
    if len(inside) < 2:
        return voiceprint
    return normalise(emb.vectors[inside].mean(axis=0)).astype(np.float32)


def suspect_stretches(att: Attribution, emb: WindowEmbeddings, raw: np.ndarray, config: EngineConfig) -> list:
    """(start, end) ms of the owner-region stretches whose regular windows dip."""
    owner = [(r.start_ms, r.end_ms) for r in att.regions if r.decision == Decision.OWNER]
    found = []
    for lo, hi in owner:
        inside = [i for i, w in enumerate(emb.spans) if w.start_ms < hi and w.end_ms > lo]
        if not inside:
            continue
        level = float(np.percentile(raw[inside], 75))
        for i in inside:
            if raw[i] < config.accept_threshold or raw[i] < level - config.intrusion_dip:
                w = emb.spans[i]
                found.append((max(lo, w.start_ms), min(hi, w.end_ms)))
    return merge_intervals(found)


def carve_intrusions(
    att: Attribution,
    emb: WindowEmbeddings,
    embedder,
    voiceprint: np.ndarray,
    config: EngineConfig,
    negatives: np.ndarray | None = None,
) -> Attribution:
    """`att` with the other voices found inside owner regions decided other."""
    if emb.feats is None or not att.owner or att.window_scores.size == 0:
        return att
    raw = att.window_scores
    suspects = suspect_stretches(att, emb, raw, config)  # cheap: only where a window dips ...
    if not suspects:
        return att
    voices = other_voices(emb, raw, config, negatives)  # ... are the other voices clustered
    if voices is None:
        return att
    reference = owner_reference(att, emb, raw, voiceprint, config)
    window_ms, hop_ms = config.refine_window_ms, config.refine_hop_ms
    end_of_feats = len(emb.feats) * FRAME_SHIFT_MS
    carved = []
    for lo, hi in suspects:
        half = window_ms // 2
        centres = list(range(lo, hi + 1, hop_ms))
        frames = []
        for c in centres:
            start = max(0, min(c - half, end_of_feats - window_ms))
            frames.append((start // FRAME_SHIFT_MS, (start + window_ms) // FRAME_SHIFT_MS))
        vectors = embedder.embed_windows(emb.feats, frames)
        evidence = (vectors @ reference) - (vectors @ voices.T).max(axis=1)  # > 0: sounds like the owner
        # each 10 ms frame of [lo, hi) takes the mean evidence of the short windows covering it
        n = max(1, (hi - lo) // FRAME_MS)
        total, count = np.zeros(n), np.zeros(n)
        for c, e in zip(centres, evidence):
            a = max(0, (c - half - lo) // FRAME_MS)
            b = min(n, (c + half - lo) // FRAME_MS)
            if b > a:
                total[a:b] += e
                count[a:b] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            grid = np.where(count > 0, total / count, 0.0)
        below = grid < -config.intrusion_margin
        for a, b, is_below in runs_of(below.astype(int)):
            if is_below and (b - a) * FRAME_MS >= config.intrusion_min_ms:
                carved.append((lo + a * FRAME_MS, lo + b * FRAME_MS))
    if not carved:
        return att
    return _with_other(att, merge_intervals(carved), config.min_owner_run_ms)


def _with_other(att: Attribution, carved: list[tuple[int, int]], min_owner_run_ms: int) -> Attribution:
    regions = []
    for r in att.regions:
        if r.decision != Decision.OWNER:
            regions.append(r)
            continue
        piece = [(r.start_ms, r.end_ms)]
        kept = subtract_intervals(piece, carved)
        for a, b in kept:
            regions.append(Region(a, b, r.similarity, Decision.OWNER))
        for a, b in subtract_intervals(piece, kept):
            regions.append(Region(a, b, r.similarity, Decision.OTHER))
    regions.sort(key=lambda r: r.start_ms)
    # an owner piece left too short to hold a word is uncertain, as in attribution.decide
    return with_regions(
        att,
        [
            Region(r.start_ms, r.end_ms, r.similarity, Decision.UNCERTAIN)
            if r.decision == Decision.OWNER and r.end_ms - r.start_ms < min_owner_run_ms
            else r
            for r in regions
        ],
    )
