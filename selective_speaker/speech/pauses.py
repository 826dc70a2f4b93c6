"""Hand-overs placed on the pause between two voices.

The voice match decides on windows of 600 ms and more (refine_boundaries' short windows every
100 ms), so a hand-over from the owner to another voice lands within a few hundred ms of where
it is. Where two voices take turns quickly, the turn ends and the next begins inside that blur:
the owner's first or last words go to the other voice (recall), or the other's to the owner
(leak). Most hand-overs have a pause, however short — a stretch where the chunk falls to its
quiet level — and the pause is where one voice stops and the other starts.

So after the voice match, each boundary between the owner's speech and another decision inside
continuous speech moves to the longest pause within `pause_snap_ms` of it (ties: the nearest),
its middle: a pause is at least `pause_min_ms` of 10 ms frames whose energy lies within
`pause_floor_db` of the chunk's quiet level (the 10th percentile of the frame energy averaged over
100 ms, as speech/noise_level.py measures noise). Where two voices overlap there is no pause, and
where noise or reverberation fills it the chunk's quiet level is the noise — a chunk whose speech
stands less than MIN_DEPTH_DB above its quiet level is left alone — and the boundary stays as the
voice match placed it. Nothing here decides whose voice anything is — only where a decided
hand-over lies — so a chunk without owner speech is left as it is.

The frame energy is read off the filterbank the embeddings were computed from (no second pass over
the audio). How the defaults were chosen: README "Hand-overs on pauses".
"""

from __future__ import annotations

import numpy as np

from .attribution import runs_of
from .config import EngineConfig
from .features import FRAME_SHIFT_MS
from .noise_level import steady_percentiles
from .types import Region

QUIET_PERCENTILE = 10  # the chunk's quiet level: this percentile of ...
QUIET_FRAMES = 10  # ... the frame energy averaged over this many frames (100 ms)
LOUD_PERCENTILE = 90  # the chunk's speech level, the same way
# A chunk whose speech stands less than this above its quiet level has no pauses to tell: noise
# or reverberation fills them, and frames near the quiet level are speech too.
MIN_DEPTH_DB = 12.0
DB_PER_NEPER = 10 / np.log(10)


def frame_energy_db(feats: np.ndarray) -> np.ndarray:
    """Energy per filterbank frame in dB: the log of the summed mel energies (feats are natural logs)."""
    if feats.size == 0:
        return np.zeros(0, dtype=np.float64)
    top = feats.max(axis=1, keepdims=True).astype(np.float64)
    return DB_PER_NEPER * (top[:, 0] + np.log(np.exp(feats - top).sum(axis=1)))


def levels_db(energy_db: np.ndarray) -> tuple[float, float]:
    """(quiet level, speech level) of a chunk: a low and a high percentile of its frame energy
    averaged over QUIET_FRAMES frames."""
    if energy_db.size == 0:
        return float("nan"), float("nan")
    quiet, loud = steady_percentiles(energy_db, [QUIET_PERCENTILE, LOUD_PERCENTILE], QUIET_FRAMES)
    return float(quiet), float(loud)


def pauses_near(quiet: np.ndarray, cut_ms: int, radius_ms: int, min_ms: int) -> list[tuple[int, int]]:
    """The runs of quiet frames of at least `min_ms` within `radius_ms` of `cut_ms`, (start, end) ms,
    clipped to that reach."""
    lo = max(0, (cut_ms - radius_ms) // FRAME_SHIFT_MS)
    hi = min(quiet.size, (cut_ms + radius_ms) // FRAME_SHIFT_MS)
    if hi <= lo:
        return []
    return [
        ((lo + start) * FRAME_SHIFT_MS, (lo + end) * FRAME_SHIFT_MS)
        for start, end, is_quiet in runs_of(quiet[lo:hi].astype(int))
        if is_quiet and (end - start) * FRAME_SHIFT_MS >= min_ms
    ]


def best_pause(runs: list[tuple[int, int]], cut_ms: int, lo_ms: int, hi_ms: int) -> int | None:
    """The middle of the longest run (ties: nearest the cut) whose middle lies strictly inside (lo_ms, hi_ms)."""
    middles = [((a + b) // 2, b - a) for a, b in runs if lo_ms < (a + b) // 2 < hi_ms]
    if not middles:
        return None
    return max(middles, key=lambda m: (m[1], -abs(m[0] - cut_ms)))[0]


def snap_to_pauses(regions: list[Region], feats: np.ndarray | None, config: EngineConfig) -> list[Region]:
    """`regions` with each owner / not-owner boundary inside continuous speech moved onto the best
    pause near it (module docstring); unchanged where there is none, or where the setting is off."""
    if not config.pause_snap_ms or feats is None or len(regions) < 2:
        return regions
    energy = frame_energy_db(feats)
    quiet_level, speech_level = levels_db(energy)
    if not speech_level - quiet_level >= MIN_DEPTH_DB:
        return regions
    quiet = energy < quiet_level + config.pause_floor_db
    out = list(regions)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if not a.hands_over_to(b):
            continue
        runs = pauses_near(quiet, a.end_ms, config.pause_snap_ms, config.pause_min_ms)
        cut = best_pause(runs, a.end_ms, a.start_ms, b.end_ms)
        if cut is not None:
            out[i] = Region(a.start_ms, cut, a.similarity, a.decision)
            out[i + 1] = Region(cut, b.end_ms, b.similarity, b.decision)
    return out
