"""Score owner-only transcription against ground truth: recall, leak, region errors, totals.

Plain Python, no Django. The CLI (`python -m selective_speaker.speechlab eval`) drives it; der.py
and wer.py score diarization and words, manifest.py reads the cases.

Definitions (DESIGN.md §8), computed with exact interval arithmetic in integer milliseconds:

* **owner recall** — (owner RTTM speech ∩ kept segment time) / owner RTTM speech.
* **bystander leak** — kept segment time covered by another speaker's turn and by no owner
  turn / kept segment time: the share of what is kept that is somebody else's speech. Time where
  the owner and somebody else talk at once counts as the owner's.
* **unowned** — all kept time no owner turn covers / kept time = bystander leak + ``nonspeech``
  (covered by nobody's turn: the pauses between owner turns that a segment bridges, and the
  VAD padding at segment edges, since RTTM turns are trimmed at -35 dB). Reported beside the
  leak, not counted in it: kept silence carries nobody's words. Measured with the default engine
  it is 0–6 % of kept time per shared conversation and 7–8 % on the synthetic WER cases, with
  no bystander speech in it, so "not the owner's" read literally would fail chunks that are
  transcribed correctly.
* **region false accept / false reject** — each region of the decision record takes as truth
  the speaker who overlaps it most (regions overlapping no turn are not scored). A false accept
  is a non-owner region decided ``owner``; a false reject is an owner region decided anything
  else (``uncertain`` included: privacy first drops it). Rates are given by region count and
  by time (the time-weighted ones are the headline figures).
* **DER** — NIST-style on a 10 ms grid: (missed + false alarm + confusion) / reference speech,
  speaker labels mapped one-to-one by the Hungarian method, ``collar_ms`` either side of every
  reference boundary not scored. Overlapped speech is scored for every speaker in it.
* **WER** — jiwer on lower-cased words without punctuation: the owner's reference transcript
  against the kept segments' text in time order (bystander words that leak in are insertions).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from selective_speaker.speech.windows import (
    Interval,
    intersect_intervals,
    intervals_ms,
    merge_intervals,
    subtract_intervals,
)

from .rttm import SpeakerTurn, speaker_intervals, speakers_of

# Goals from DESIGN.md §8.
RECALL_GOAL = 0.90
LEAK_GOAL = 0.02
RTF_GOAL = 0.10


# --- owner recall and bystander leak ------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


@dataclass(frozen=True, slots=True)
class OwnerCoverage:
    owner_ms: int  # owner speech in the reference
    kept_ms: int  # union of kept segments
    owner_kept_ms: int  # owner speech inside kept segments
    unowned_ms: int  # kept time no owner turn covers
    leak_ms: int  # ...of which another speaker's turn covers: bystander leak
    nonspeech_ms: int  # ...of which nobody's turn covers: pauses, padding
    owner_alone_ms: int = 0  # owner speech no other speaker's turn overlaps
    owner_alone_kept_ms: int = 0  # ...of it inside kept segments

    @property
    def recall(self) -> float | None:
        return ratio(self.owner_kept_ms, self.owner_ms)

    @property
    def recall_alone(self) -> float | None:
        """Recall on the owner's speech that nobody talks over (overlapped speech is kept only
        where the owner's voice dominates it, so this is the part the decision can get right)."""
        return ratio(self.owner_alone_kept_ms, self.owner_alone_ms)

    @property
    def leak(self) -> float | None:
        return ratio(self.leak_ms, self.kept_ms)

    @property
    def unowned(self) -> float | None:
        return ratio(self.unowned_ms, self.kept_ms)

    @property
    def nonspeech(self) -> float | None:
        return ratio(self.nonspeech_ms, self.kept_ms)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(
            recall=self.recall, leak=self.leak, unowned=self.unowned, nonspeech=self.nonspeech,
            recall_alone=self.recall_alone,
        )
        return data


def owner_coverage(turns: Sequence[SpeakerTurn], owner: str, kept: Iterable[Interval]) -> OwnerCoverage:
    kept = merge_intervals(kept)
    owner_speech = speaker_intervals(turns, owner)
    others = merge_intervals((t.start_ms, t.end_ms) for t in turns if t.speaker != owner)
    unowned = subtract_intervals(kept, owner_speech)
    alone = subtract_intervals(owner_speech, others)
    return OwnerCoverage(
        owner_ms=intervals_ms(owner_speech),
        kept_ms=intervals_ms(kept),
        owner_kept_ms=intervals_ms(intersect_intervals(kept, owner_speech)),
        unowned_ms=intervals_ms(unowned),
        leak_ms=intervals_ms(intersect_intervals(unowned, others)),
        nonspeech_ms=intervals_ms(subtract_intervals(unowned, others)),
        owner_alone_ms=intervals_ms(alone),
        owner_alone_kept_ms=intervals_ms(intersect_intervals(kept, alone)),
    )


def word_counts(turns: Sequence[SpeakerTurn], owner: str, words: Iterable[Interval]) -> dict:
    """Kept words by who speaks at their middle: {"words", "bystander_words" (only another speaker:
    a bystander's word in the owner's transcript), "overlapped_words" (the owner and another at once)}."""
    owner_speech = speaker_intervals(turns, owner)
    others = merge_intervals((t.start_ms, t.end_ms) for t in turns if t.speaker != owner)

    def inside(ms: int, intervals) -> bool:
        return any(lo <= ms < hi for lo, hi in intervals)

    middles = [(start + end) // 2 for start, end in words]
    heard_by = [(inside(m, owner_speech), inside(m, others)) for m in middles]
    return {
        "words": len(middles),
        "bystander_words": sum(1 for own, other in heard_by if other and not own),
        "overlapped_words": sum(1 for own, other in heard_by if other and own),
    }


def bystander_words(cases: Sequence[dict]) -> tuple[int, int]:
    """(bystander words, words) kept over the cases (results written before words were counted: none)."""
    counts = [c.get("words") or {} for c in cases]
    return sum(w.get("bystander_words", 0) for w in counts), sum(w.get("words", 0) for w in counts)


# --- per-region decisions -----------------------------------------------------------------------


def region_truth(start_ms: int, end_ms: int, turns: Sequence[SpeakerTurn]) -> str | None:
    """The speaker overlapping [start_ms, end_ms) most; None where no turn overlaps it."""
    best, best_ms = None, 0
    for speaker in speakers_of(turns):
        ms = intervals_ms(intersect_intervals([(start_ms, end_ms)], speaker_intervals(turns, speaker)))
        if ms > best_ms:
            best, best_ms = speaker, ms
    return best


@dataclass(frozen=True, slots=True)
class RegionSample:
    start_ms: int
    end_ms: int
    similarity: float | None
    decision: str
    truth: str  # "owner", "other" or "none" (no reference speech under it)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def region_samples(regions: Sequence[dict], turns: Sequence[SpeakerTurn], owner: str) -> list[RegionSample]:
    samples = []
    for region in regions:
        start, end = int(region["start_ms"]), int(region["end_ms"])
        speaker = region_truth(start, end, turns)
        truth = "none" if speaker is None else ("owner" if speaker == owner else "other")
        similarity = region.get("similarity")
        samples.append(
            RegionSample(start, end, None if similarity is None else float(similarity), str(region["decision"]), truth)
        )
    return samples


@dataclass(frozen=True, slots=True)
class RegionErrors:
    owner_regions: int
    other_regions: int
    unscored_regions: int  # no reference speech under them
    false_accepts: int
    false_rejects: int
    uncertain_owner: int  # owner regions decided "uncertain" (counted in false_rejects)
    owner_ms: int
    other_ms: int
    false_accept_ms: int
    false_reject_ms: int

    @property
    def false_accept_rate(self) -> float | None:
        return ratio(self.false_accept_ms, self.other_ms)

    @property
    def false_reject_rate(self) -> float | None:
        return ratio(self.false_reject_ms, self.owner_ms)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(
            false_accept_rate=self.false_accept_rate,
            false_reject_rate=self.false_reject_rate,
            false_accept_rate_by_count=ratio(self.false_accepts, self.other_regions),
            false_reject_rate_by_count=ratio(self.false_rejects, self.owner_regions),
        )
        return data


def region_errors(samples: Sequence[RegionSample]) -> RegionErrors:
    owner = [s for s in samples if s.truth == "owner"]
    other = [s for s in samples if s.truth == "other"]
    accepts = [s for s in other if s.decision == "owner"]
    rejects = [s for s in owner if s.decision != "owner"]
    return RegionErrors(
        owner_regions=len(owner),
        other_regions=len(other),
        unscored_regions=len(samples) - len(owner) - len(other),
        false_accepts=len(accepts),
        false_rejects=len(rejects),
        uncertain_owner=sum(s.decision == "uncertain" for s in owner),
        owner_ms=sum(s.duration_ms for s in owner),
        other_ms=sum(s.duration_ms for s in other),
        false_accept_ms=sum(s.duration_ms for s in accepts),
        false_reject_ms=sum(s.duration_ms for s in rejects),
    )


def tradeoff_curve(samples: Sequence[RegionSample], thresholds: Sequence[float]) -> list[dict]:
    """Time-weighted false accept / false reject / leak if regions were re-decided at each threshold.

    Regions are runs formed at the configured threshold, so this is an estimate around it; the
    `calibrate` command re-decides from the window embeddings for the exact figures.
    """
    scored = [s for s in samples if s.truth in ("owner", "other") and s.similarity is not None]
    if not scored:
        return []  # the strategy records no similarity per region (anchored)
    sims = np.array([s.similarity for s in scored])
    weights = np.array([s.duration_ms for s in scored], dtype=np.float64)
    is_owner = np.array([s.truth == "owner" for s in scored], dtype=bool)
    owner_total, other_total = weights[is_owner].sum(), weights[~is_owner].sum()
    curve = []
    for threshold in thresholds:
        accepted = sims >= threshold
        fa = weights[accepted & ~is_owner].sum()
        fr = weights[~accepted & is_owner].sum()
        kept = weights[accepted].sum()
        curve.append(
            {
                "threshold": round(float(threshold), 4),
                "false_accept_rate": ratio(fa, other_total),
                "false_reject_rate": ratio(fr, owner_total),
                "leak": ratio(fa, kept),
            }
        )
    return curve


def threshold_meeting_goals(curve: Sequence[dict], *, max_false_accept: float, max_leak: float) -> dict | None:
    """The lowest threshold (most recall) whose false accepts and leak are within the goals."""
    for point in sorted(curve, key=lambda p: p["threshold"]):
        fa, leak = point["false_accept_rate"], point["leak"]
        if (fa is None or fa <= max_false_accept) and (leak is None or leak <= max_leak):
            return point
    return None


def equal_error_point(curve: Sequence[dict]) -> dict | None:
    points = [p for p in curve if p["false_accept_rate"] is not None and p["false_reject_rate"] is not None]
    if not points:
        return None
    return min(points, key=lambda p: abs(p["false_accept_rate"] - p["false_reject_rate"]))


def owner_found_by_stage(
    turns: Sequence[SpeakerTurn], owner: str, samples: Sequence[RegionSample], kept: Sequence[Interval]
) -> dict[str, int]:
    """Owner speech (ms) still there after each stage: where recall is lost.

    ``speech``: inside any decided region (found by the VAD); ``owner_regions``: inside regions
    decided owner; ``kept``: inside kept segments (after ASR and the segment rules).
    """
    mine = speaker_intervals(turns, owner)
    return {
        "owner": intervals_ms(mine),
        "speech": intervals_ms(intersect_intervals(mine, [(s.start_ms, s.end_ms) for s in samples])),
        "owner_regions": intervals_ms(
            intersect_intervals(mine, [(s.start_ms, s.end_ms) for s in samples if s.decision == "owner"])
        ),
        "kept": intervals_ms(intersect_intervals(mine, kept)),
    }


def meets_goals(case: dict) -> bool:
    """Recall ≥ the goal and leak ≤ the goal; for an owner-absent case: nothing kept at all."""
    if case.get("owner_absent"):
        return case["coverage"]["kept_ms"] == 0
    recall, leak = case["coverage"]["recall"], case["coverage"]["leak"]
    return (recall is None or recall >= RECALL_GOAL) and (leak is None or leak <= LEAK_GOAL)


def recall_alone(cases: Sequence[dict]) -> float | None:
    """Recall pooled over the owner's speech nobody talks over (OwnerCoverage.recall_alone); results
    written before it was measured count as none."""
    return ratio(
        sum(c["coverage"].get("owner_alone_kept_ms", 0) for c in cases),
        sum(c["coverage"].get("owner_alone_ms", 0) for c in cases),
    )


def summarise(cases: Sequence[dict]) -> dict:
    """Totals over cases: time-weighted (micro) rates, worst cases, RTF per stage."""
    def total(key: str, sub: str = "coverage") -> int:
        return sum(c[sub][key] for c in cases)

    recalls = [c["coverage"]["recall"] for c in cases if c["coverage"]["recall"] is not None]
    leaks = [c["coverage"]["leak"] for c in cases if c["coverage"]["leak"] is not None]
    audio_s = sum(c["audio_s"] for c in cases)
    stages = sorted({stage for c in cases for stage in c["timings_s"]})
    summary = {
        "cases": len(cases),
        "cases_meeting_goals": sum(meets_goals(c) for c in cases),
        "audio_s": round(audio_s, 3),
        "recall": ratio(total("owner_kept_ms"), total("owner_ms")),
        "recall_alone": recall_alone(cases),
        "leak": ratio(total("leak_ms"), total("kept_ms")),
        "bystander_words": bystander_words(cases),
        "unowned": ratio(total("unowned_ms"), total("kept_ms")),
        "min_recall": min(recalls, default=None),
        "max_leak": max(leaks, default=None),
        "false_accept_rate": ratio(total("false_accept_ms", "regions"), total("other_ms", "regions")),
        "false_reject_rate": ratio(total("false_reject_ms", "regions"), total("owner_ms", "regions")),
        "rtf": {stage: sum(c["timings_s"].get(stage, 0.0) for c in cases) / audio_s for stage in stages}
        if audio_s
        else {},
        "recall_by_stage": {
            stage: ratio(sum(c["owner_found_ms"][stage] for c in cases), sum(c["owner_found_ms"]["owner"] for c in cases))
            for stage in ("speech", "owner_regions", "kept")
        },
        "der": None,
        "wer": None,
    }
    scored = list({c["audio"]: c["der"] for c in cases if c["der"]}.values())  # each recording once
    if scored:
        errors = sum(d["missed_ms"] + d["false_alarm_ms"] + d["confusion_ms"] for d in scored)
        summary["der"] = ratio(errors, sum(d["reference_ms"] for d in scored))
    transcribed = [c["wer"] for c in cases if c["wer"]]
    if transcribed:
        errors = sum(w["substitutions"] + w["deletions"] + w["insertions"] for w in transcribed)
        summary["wer"] = ratio(errors, sum(w["reference_words"] for w in transcribed))
    return summary


def summarise_by_tag(cases: Sequence[dict]) -> dict[str, dict]:
    tags = sorted({tag for c in cases for tag in c["tags"]})
    return {tag: summarise([c for c in cases if tag in c["tags"]]) for tag in tags}


def owner_absent_summary(cases: Sequence[dict]) -> dict | None:
    """Kept seconds of the cases whose owner never speaks (goal: 0 s each); None if there are none."""
    absent = [c for c in cases if c.get("owner_absent")]
    if not absent:
        return None
    kept = {c["id"]: c["coverage"]["kept_ms"] / 1000 for c in absent}
    worst = max(kept, key=kept.get)
    return {
        "cases": len(absent),
        "cases_keeping_nothing": sum(1 for k in kept.values() if k == 0),
        "kept_s": round(sum(kept.values()), 3),
        "worst_kept_s": kept[worst],
        "worst_case": worst,
        "bystander_kept_s": round(sum(c["coverage"]["leak_ms"] for c in absent) / 1000, 3),
    }


def summarise_by_group(cases: Sequence[dict]) -> dict[str, dict]:
    """Totals per primary condition group (cases without a group are left out), in order of appearance;
    each with the owner-absent figures of its owner-absent cases."""
    groups = list(dict.fromkeys(c["group"] for c in cases if c.get("group")))
    out = {}
    for group in groups:
        members = [c for c in cases if c.get("group") == group]
        out[group] = {**summarise(members), "owner_absent": owner_absent_summary(members)}
    return out


def all_samples(cases: Sequence[dict]) -> list[RegionSample]:
    return [RegionSample(**s) for c in cases for s in c["region_samples"]]
