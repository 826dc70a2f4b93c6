"""Choose the voiceprint strategy's threshold and margin from data.

`calibration_sweep` runs VAD and window embeddings once per case, then re-runs the engine's own
attribution (clustering, smoothing, thresholding, boundary refinement) at every threshold, so
the owner decision at each threshold is exactly what the engine would decide; what is scored
is the owner regions themselves, before ASR and the segment rules. With the ``flag`` policy the
uncertain band [t - margin, t) of the frame scores would be kept too, and is scored as such.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from selective_speaker.speech.types import FRAME_MS, samples_to_ms
from selective_speaker.speech.windows import Interval

from .manifest import EvalCase, case_turns, load_audio
from .runner import Enrollments
from .scoring import LEAK_GOAL, RECALL_GOAL, OwnerCoverage, owner_coverage, ratio


def mask_intervals(mask: np.ndarray, frame_ms: int = FRAME_MS) -> list[Interval]:
    """Runs of True in a frame mask, as ms intervals."""
    if mask.size == 0:
        return []
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(lo) * frame_ms, int(hi) * frame_ms) for lo, hi in zip(edges[::2], edges[1::2])]


def _coverage_totals(coverages: Sequence[OwnerCoverage]) -> dict:
    recalls = [c.recall for c in coverages if c.recall is not None]
    leaks = [c.leak for c in coverages if c.leak is not None]
    return {
        "recall": ratio(sum(c.owner_kept_ms for c in coverages), sum(c.owner_ms for c in coverages)),
        "leak": ratio(sum(c.leak_ms for c in coverages), sum(c.kept_ms for c in coverages)),
        "min_recall": min(recalls, default=None),
        "max_leak": max(leaks, default=None),
        "cases": len(coverages),
        "cases_meeting_goals": sum(
            (c.recall is None or c.recall >= RECALL_GOAL) and (c.leak is None or c.leak <= LEAK_GOAL) for c in coverages
        ),
    }


def calibration_sweep(
    engine, cases: Sequence[EvalCase], *, enrollments: Enrollments, thresholds: Sequence[float], margins: Sequence[float]
) -> dict:
    """Owner recall and leak of the voiceprint attribution at every threshold (and margin)."""
    from selective_speaker.speech.attribution import attribute_voiceprint, refine_boundaries
    from selective_speaker.speech.vad import speech_spans
    from selective_speaker.speech.voiceprint import embed_speech

    config = engine.config
    drop: dict[float, list[OwnerCoverage]] = {t: [] for t in thresholds}
    flag: dict[tuple[float, float], list[OwnerCoverage]] = {(t, m): [] for t in thresholds for m in margins}
    per_case = []
    for case in cases:
        voiceprint, _audio, _info = enrollments.get(case.enroll)
        audio = load_audio(case.audio)
        turns = case_turns(case)
        duration_ms = samples_to_ms(audio.size)
        emb = embed_speech(audio, speech_spans(audio, config), engine.embedder, config)
        rows = []
        for threshold in thresholds:
            att = attribute_voiceprint(emb, voiceprint, duration_ms, config.with_(accept_threshold=float(threshold)))
            if config.refine_boundaries and emb.spans:
                att = refine_boundaries(att, emb, engine.embedder, voiceprint, config)
            owner = [(s.start_ms, s.end_ms) for s in att.owner]
            coverage = owner_coverage(turns, case.owner, owner)
            drop[threshold].append(coverage)
            rows.append({"threshold": threshold, "recall": coverage.recall, "leak": coverage.leak})
            scores = np.nan_to_num(att.frame_scores, nan=-np.inf)
            for margin in margins:
                band = mask_intervals((scores >= threshold - margin) & (scores < threshold))
                flag[(threshold, margin)].append(owner_coverage(turns, case.owner, owner + band))
        per_case.append({"id": case.id, "curve": rows})
    return {
        "note": __doc__.split("\n\n")[1].replace("\n", " "),
        "curve": [{"threshold": t, **_coverage_totals(drop[t])} for t in thresholds],
        "flagged": [{"threshold": t, "margin": m, **_coverage_totals(flag[(t, m)])} for t in thresholds for m in margins],
        "cases": per_case,
    }


def recommend_calibration(sweep: dict, *, leak_goal: float = LEAK_GOAL, flag_leak_goal: float = 0.05) -> dict:
    """The lowest threshold whose worst-case leak meets the goal (the most recall that is safe),
    and the widest uncertain margin whose flagged worst-case leak stays within `flag_leak_goal`."""
    curve = [p for p in sweep["curve"] if p["max_leak"] is not None]
    if not curve:
        return {"threshold": None, "reason": "no case kept anything at any threshold"}
    safe = [p for p in curve if p["max_leak"] <= leak_goal]
    point = min(safe, key=lambda p: p["threshold"]) if safe else min(curve, key=lambda p: (p["max_leak"], p["threshold"]))
    margins = [
        f
        for f in sweep["flagged"]
        if f["threshold"] == point["threshold"] and f["max_leak"] is not None and f["max_leak"] <= flag_leak_goal
    ]
    margin = max(margins, key=lambda f: f["margin"]) if margins else None
    return {
        "threshold": point["threshold"],
        "meets_leak_goal": bool(safe),
        "recall": point["recall"],
        "min_recall": point["min_recall"],
        "leak": point["leak"],
        "max_leak": point["max_leak"],
        "margin": margin["margin"] if margin else None,
        "flagged_recall": margin["recall"] if margin else None,
        "flagged_max_leak": margin["max_leak"] if margin else None,
    }
