"""In-chunk doubt (EngineConfig.doubt_margin): a window that the voiceprint accepts by a hair,
but that sounds more like this chunk's other voices than like its clearly-owner windows, is not
kept: it becomes uncertain — a "Was this you?" card — instead.

Why: a voiceprint made on one microphone (a headset, a phone held close) meets chunks recorded by
another (a table microphone across the room). The channel lifts every voice of the chunk toward
the voiceprint alike: on the realistic suite's AMI meeting, the bystanders score 0.58–0.61 against
a headset-made voiceprint and the owner 0.62–0.82, so some bystander stretches cross the threshold
(0.60) — 15 % of one owner's kept time was someone else's. Within the chunk both sides share the
room and the microphone, so the comparison there is fair: the window is put to the windows of the
same chunk, the clearly-owner ones (at least threshold + margin) and those below the threshold, and
is in doubt when it is nearer the latter by more than EngineConfig.doubt_gap (mean cosine of the
nearest DOUBT_NEIGHBOURS on each side: several voices may lie below the threshold).

Only ever turns owner into uncertain: it cannot keep anything that was not kept (a recording in
which the owner never speaks stays empty), and a chunk without two windows on each side is left as
it is. Windows compared with a window are at least DOUBT_MIN_GAP_MS from it (their centres),
so that audio they share with it does not make them alike.
"""

from __future__ import annotations

import numpy as np

from .voiceprint import WindowEmbeddings

DOUBT_MIN_GAP_MS = 1500
DOUBT_NEIGHBOURS = 3  # the nearest this many windows of each side, their mean cosine


def in_chunk_doubt(
    emb: WindowEmbeddings, scores: np.ndarray, threshold: float, margin: float, gap: float = 0.0
) -> np.ndarray:
    """Per window: True where a window accepted by less than `margin` (threshold ≤ score <
    threshold + margin) is nearer this chunk's windows scored below the threshold than its
    windows scored at least threshold + margin, by more than `gap` (mean cosine)."""
    doubt = np.zeros(len(scores), dtype=bool)
    sure, below = scores >= threshold + margin, scores < threshold
    borderline = np.flatnonzero((scores >= threshold) & ~sure)
    if borderline.size == 0 or sure.sum() < 2 or below.sum() < 2:
        return doubt
    centres = np.array([(w.start_ms + w.end_ms) / 2 for w in emb.spans])
    cosines = emb.vectors[borderline] @ emb.vectors.T
    apart = np.abs(centres[borderline][:, None] - centres[None, :]) >= DOUBT_MIN_GAP_MS
    for row, index in enumerate(borderline):
        to_owner = np.sort(cosines[row][sure & apart[row]])[-DOUBT_NEIGHBOURS:]
        to_others = np.sort(cosines[row][below & apart[row]])[-DOUBT_NEIGHBOURS:]
        if to_owner.size and to_others.size:
            doubt[index] = to_others.mean() > to_owner.mean() + gap
    return doubt
