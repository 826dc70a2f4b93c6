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

Uncertain regions (EngineConfig.intrusion_uncertain) are scanned the same way, whole, when the
chunk has owner windows of its own to compare with and more owner speech than uncertain speech
(owner_heard_clearly): a run there that sounds like another voice becomes other, so the "Was
this you?" cards left are cut where the voice changes — a card the owner answers "me" no longer
carries a bystander's sentence in with theirs (nor teaches it to the voiceprint), and the cards
asked are the ones that may be the owner. Uncertain speech is not kept, so this changes nothing
kept before an answer.
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


def chunk_owner(att: Attribution, emb: WindowEmbeddings, raw: np.ndarray, config: EngineConfig) -> np.ndarray | None:
    """The centroid of this chunk's windows decided owner (and scoring at least the threshold): the
    owner as this device, room and noise make them sound. None with fewer than two such windows."""
    owner = [(r.start_ms, r.end_ms) for r in att.regions if r.decision == Decision.OWNER]
    inside = [
        i
        for i, w in enumerate(emb.spans)
        if raw[i] >= config.accept_threshold and any(lo <= (w.start_ms + w.end_ms) // 2 < hi for lo, hi in owner)
    ]
    if len(inside) < 2:
        return None
    return normalise(emb.vectors[inside].mean(axis=0)).astype(np.float32)


def owner_reference(voiceprint: np.ndarray, own: np.ndarray | None, config: EngineConfig) -> np.ndarray:
    """What short windows are compared with as the owner: the voiceprint, or (intrusion_reference
    "chunk") the chunk's own owner windows (`own`, chunk_owner's centroid) — like the other voices
    it is weighed against — when it has them."""
    return own if config.intrusion_reference == "chunk" and own is not None else voiceprint


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


def owner_heard_clearly(att: Attribution) -> bool:
    """Whether the chunk holds more owner speech than uncertain speech. Where the owner is mostly
    uncertain (a codec or a room lowers every score of theirs), some of their windows fall below
    the uncertain band and stand among the "other voices" too: their uncertain speech is not
    scanned then."""
    def ms(decision) -> int:
        return sum(r.end_ms - r.start_ms for r in att.regions if r.decision == decision)

    return ms(Decision.OWNER) >= ms(Decision.UNCERTAIN)


def uncertain_stretches(att: Attribution, config: EngineConfig) -> list:
    """(start, end) ms of the uncertain regions long enough to hold a run of another voice."""
    return [
        (r.start_ms, r.end_ms)
        for r in att.regions
        if r.decision == Decision.UNCERTAIN and r.end_ms - r.start_ms >= config.intrusion_min_ms
    ]


def carve_intrusions(
    att: Attribution,
    emb: WindowEmbeddings,
    embedder,
    voiceprint: np.ndarray,
    config: EngineConfig,
    negatives: np.ndarray | None = None,
) -> Attribution:
    """`att` with the other voices found inside owner regions (and, with intrusion_uncertain,
    inside uncertain ones) decided other."""
    if emb.feats is None or not att.owner or att.window_scores.size == 0:
        return att
    raw = att.window_scores
    suspects = suspect_stretches(att, emb, raw, config)  # cheap: only where a window dips ...
    own = chunk_owner(att, emb, raw, config)
    if config.intrusion_uncertain and own is not None and owner_heard_clearly(att):
        suspects += uncertain_stretches(att, config)  # (not merged with those: runs stay inside one region)
    if not suspects:
        return att
    voices = other_voices(emb, raw, config, negatives)  # ... are the other voices clustered
    if voices is None:
        return att
    reference = owner_reference(voiceprint, own, config)
    carved = []
    for lo, hi in suspects:
        grid = _evidence(emb, embedder, reference, voices, lo, hi, config)
        for a, b, is_below in runs_of((grid < -config.intrusion_margin).astype(int)):
            if is_below and (b - a) * FRAME_MS >= config.intrusion_min_ms:
                carved.append((lo + a * FRAME_MS, lo + b * FRAME_MS))
    if not carved:
        return att
    return _with_other(att, merge_intervals(carved), config.min_owner_run_ms)


def _evidence(emb: WindowEmbeddings, embedder, reference, voices, lo: int, hi: int, config: EngineConfig):
    """Per 10 ms frame of [lo, hi): how much more the short windows covering it sound like the
    owner (`reference`) than like the nearest of `voices` (cosine; > 0: the owner)."""
    window_ms, hop_ms = config.refine_window_ms, config.refine_hop_ms
    end_of_feats = len(emb.feats) * FRAME_SHIFT_MS
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
        return np.where(count > 0, total / count, 0.0)


def _with_other(att: Attribution, carved: list[tuple[int, int]], min_owner_run_ms: int) -> Attribution:
    regions = []
    for r in att.regions:
        if r.decision == Decision.OTHER:
            regions.append(r)
            continue
        piece = [(r.start_ms, r.end_ms)]
        kept = subtract_intervals(piece, carved)
        for a, b in kept:
            regions.append(Region(a, b, r.similarity, r.decision))
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
