"""Measure the "Was this you?" loop: a simulated owner answers k cards per case from the ground truth.

    python -m selective_speaker.speechlab eval realistic --answers 0,3,10 [--answers-transfer channel]

What the server does (README "Was this you?"), reproduced without Django:

* **cards** — the uncertain regions of the chunk's decision record at least ``CARD_MIN_MS`` long
  (settings.REVIEW_MIN_MS), as enrollment.services.decision_reviews_replace makes review items.
  The server lists them newest chunk first, which says nothing within one chunk: here the order is
  **longest first** (ties: earliest first), so k answers cover the most uncertain time.
* **the owner's answer** — from the RTTM: "me" when the owner speaks in at least ``ME_SHARE`` of
  the card's time, else "not me" (an owner-absent case: every card "not me").
* **what an answer does** — its stretch's audio is embedded with the engine's embedder
  (enrollment.services._embed_regions: ``embed_audio`` on the stretch); "me": the embedding joins
  the voiceprint as an owner sample weighted by its duration, all samples together at most
  ``SAMPLES_MAX_SHARE`` of the weight (speech.voiceprint.voiceprint_with_samples, the rule
  enrollment.selectors uses); "not me": the embedding is a negative. The chunk is processed again
  with ``answers=(me spans, not-me spans)`` (the owner's word overrides the voice match) and scored
  as runner.run_case scores it. One round: the k answered are the first k cards of the k = 0 run.
* **per device** — each case stands for one device/condition, so a case's answers are that device's.
  **Transfer** (optional, per group): the samples and negatives learnt from the *other* cases of the
  same owner in the same group, k answers each, applied to a case without answers of its own — whether
  answers on some chunks help the chunks that follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selective_speaker.speech.types import Span, ms_to_samples
from selective_speaker.speech.voiceprint import voiceprint_with_samples
from selective_speaker.speech.windows import intersect_intervals, merge_intervals

from .manifest import EvalCase, case_turns, load_audio
from .rttm import SpeakerTurn, speaker_intervals
from .runner import Enrollments, run_case
from .scoring import bystander_words, meets_goals, owner_absent_summary, ratio, recall_alone

CARD_MIN_MS = 500  # settings.REVIEW_MIN_MS
ME_SHARE = 0.5  # the owner says "me" when they speak in at least this share of the card
SAMPLES_MAX_SHARE = 0.3  # settings.VOICEPRINT_SAMPLES_MAX_SHARE (default)


@dataclass(frozen=True, slots=True)
class Card:
    start_ms: int
    end_ms: int
    similarity: float | None = None

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Answer:
    card: Card
    me: bool
    embedding: np.ndarray | None  # None when the stretch is too short to embed


def cards_of(regions: Sequence[dict], min_ms: int = CARD_MIN_MS) -> list[Card]:
    """The "Was this you?" cards of a decision record's regions, longest first (ties: earliest first)."""
    cards = [
        Card(int(r["start_ms"]), int(r["end_ms"]), r.get("similarity"))
        for r in regions
        if str(r["decision"]) == "uncertain" and int(r["end_ms"]) - int(r["start_ms"]) >= min_ms
    ]
    return sorted(cards, key=lambda c: (-c.duration_ms, c.start_ms))


def owner_share(card: Card, turns: Sequence[SpeakerTurn], owner: str) -> float:
    """Share of the card's time in which the owner speaks (overlapped speech counts as the owner's)."""
    if card.duration_ms <= 0:
        return 0.0
    owner_ms = merge_intervals(speaker_intervals(turns, owner))
    inside = intersect_intervals(owner_ms, [(card.start_ms, card.end_ms)])
    return sum(hi - lo for lo, hi in inside) / card.duration_ms


def owner_says_me(card: Card, turns: Sequence[SpeakerTurn], owner: str) -> bool:
    return owner_share(card, turns, owner) >= ME_SHARE


def answer_cards(embedder, audio: np.ndarray, cards: Sequence[Card], turns, owner: str) -> list[Answer]:
    """The simulated owner's answers to `cards`, each with its stretch's embedding."""
    answers = []
    for card in cards:
        piece = audio[ms_to_samples(card.start_ms) : ms_to_samples(card.end_ms)]
        embedding = embedder.embed_audio(piece) if piece.size >= ms_to_samples(100) else None
        answers.append(Answer(card, owner_says_me(card, turns, owner), embedding))
    return answers


def learned(voiceprint: np.ndarray, enrolled_ms: float, answers: Sequence[Answer]) -> tuple[np.ndarray, np.ndarray, float]:
    """(voiceprint with the "me" samples, negatives from the "not me" ones, samples' share of the weight)."""
    mine = [a for a in answers if a.me and a.embedding is not None]
    vector, share = voiceprint_with_samples(
        [voiceprint],
        [float(enrolled_ms or 1)],
        [a.embedding for a in mine],
        [a.card.duration_ms for a in mine],
        max_share=SAMPLES_MAX_SHARE,
    )
    others = [a.embedding for a in answers if not a.me and a.embedding is not None]
    negatives = np.stack(others).astype(np.float32) if others else np.zeros((0, voiceprint.size), dtype=np.float32)
    return vector, negatives, share


def band_voiceprints(enrollments: Enrollments, case: EvalCase, answers: Sequence[Answer]) -> dict:
    """process_chunk's `voiceprint_narrow` where the enrollment has one (band matching, speech/band.py):
    the enrollment's narrow-band voiceprint with the same "me" samples joining it by the same rule."""
    narrow = getattr(enrollments, "narrow", {}).get(tuple(case.enroll))
    if narrow is None:
        return {}
    _, _, info = enrollments.get(case.enroll)
    vector, _, _ = learned(np.asarray(narrow, dtype=np.float32), info.get("speech_ms") or 1, answers)
    return {"voiceprint_narrow": vector}


def spans_of(answers: Sequence[Answer]) -> tuple[list[Span], list[Span]]:
    me = [Span(a.card.start_ms, a.card.end_ms) for a in answers if a.me]
    not_me = [Span(a.card.start_ms, a.card.end_ms) for a in answers if not a.me]
    return me, not_me


def lite(result: dict, answers: Sequence[Answer] = (), share: float = 0.0) -> dict:
    """The figures of one (re)run kept in results.json."""
    cov = result["coverage"]
    return {
        "recall": cov["recall"],
        "leak": cov["leak"],
        "kept_s": result["kept_s"],
        "meets_goals": meets_goals(result),
        "me": sum(1 for a in answers if a.me),
        "not_me": sum(1 for a in answers if not a.me),
        "samples_share": round(share, 4),
    }


def simulate_case(engine, case: EvalCase, *, enrollments: Enrollments, ks: Sequence[int], **plain_flags):
    """(plain result with an "answers" entry, {k: full result}, the answers to the first max(ks) cards).

    The plain result is run_case's with the same flags (k = 0); each k > 0 reruns the chunk with
    the first k cards answered, unless it answers no more cards than a smaller k (same result)."""
    audio = load_audio(case.audio, max_duration_ms=None)
    regions: list[dict] = []
    plain = run_case(engine, case, enrollments=enrollments, regions_out=regions, audio=audio, **plain_flags)
    cards = cards_of(regions)
    voiceprint, _, info = enrollments.get(case.enroll)
    answered = answer_cards(engine.embedder, audio, cards[: max(ks, default=0)], case_turns(case), case.owner)
    by_k: dict[int, dict] = {}
    entries: dict[str, dict] = {}
    done: dict[int, tuple[dict, dict]] = {0: (plain, lite(plain))}  # by number of cards answered
    for k in sorted(set(ks)):
        take = answered[:k]
        if len(take) not in done:
            vector, negatives, share = learned(voiceprint, info.get("speech_ms") or 1, take)
            rerun = run_case(
                engine, case, enrollments=enrollments, voiceprint=vector, audio=audio,
                negatives=negatives, answers=spans_of(take), **band_voiceprints(enrollments, case, take),
            )
            done[len(take)] = (rerun, lite(rerun, take, share))
        by_k[k], entries[str(k)] = done[len(take)]
    plain["answers"] = {"cards": len(cards), "cards_s": sum(c.duration_ms for c in cards) / 1000, "by_k": entries}
    return plain, by_k, answered


def transfer_case(engine, case: EvalCase, sources: Sequence[Sequence[Answer]], *, enrollments: Enrollments, k: int):
    """`case` run without answers of its own, with the samples and negatives of the first k answers of
    each source (other cases of the owner in the group); None when those hold no answer (= plain run)."""
    pooled = [a for answers in sources for a in answers[:k]]
    if not pooled:
        return None
    voiceprint, _, info = enrollments.get(case.enroll)
    vector, negatives, share = learned(voiceprint, info.get("speech_ms") or 1, pooled)
    result = run_case(
        engine, case, enrollments=enrollments, voiceprint=vector, negatives=negatives,
        **band_voiceprints(enrollments, case, pooled),
    )
    result["answers"] = lite(result, pooled, share)
    return result


# --- the report -----------------------------------------------------------------------------------


def summary_of(cases: Sequence[dict]) -> dict:
    """Recall and leak pooled by time, the worst case, cases meeting both goals, owner-absent kept s."""
    def total(key: str) -> int:
        return sum(c["coverage"][key] for c in cases)

    recalls = [c["coverage"]["recall"] for c in cases if c["coverage"]["recall"] is not None]
    leaks = [c["coverage"]["leak"] for c in cases if c["coverage"]["leak"] is not None]
    absent = owner_absent_summary(cases)
    return {
        "cases": len(cases),
        "recall": ratio(total("owner_kept_ms"), total("owner_ms")),
        "recall_alone": recall_alone(cases),
        "min_recall": min(recalls, default=None),
        "leak": ratio(total("leak_ms"), total("kept_ms")),
        "bystander_words": bystander_words(cases),
        "max_leak": max(leaks, default=None),
        "cases_meeting_goals": sum(meets_goals(c) for c in cases),
        "owner_absent_kept_s": None if absent is None else absent["kept_s"],
        "owner_absent_worst_s": None if absent is None else absent["worst_kept_s"],
    }


def answers_report(runs: dict[str, list[dict]], cards: dict[str, dict]) -> dict:
    """{"by_group": {group: {run: summary}}, "all": {run: summary}} for runs named "k=0", "k=3",
    "transfer k=3", ...; `cards` maps case id to its "answers" entry (for the answered counts)."""
    by_group: dict[str, dict] = {}
    groups = list(dict.fromkeys(c.get("group") or "—" for cases in runs.values() for c in cases))
    for group in groups:
        by_group[group] = {}
        for name, cases in runs.items():
            members = [c for c in cases if (c.get("group") or "—") == group]
            if members:
                by_group[group][name] = {**summary_of(members), **_answered(members, name, cards)}
    overall = {name: {**summary_of(cases), **_answered(cases, name, cards)} for name, cases in runs.items() if cases}
    return {
        "rule": {"card_min_ms": CARD_MIN_MS, "order": "longest first", "me_share": ME_SHARE, "samples_max_share": SAMPLES_MAX_SHARE},
        "by_group": by_group,
        "all": overall,
    }


def _answered(cases: Sequence[dict], name: str, cards: dict[str, dict]) -> dict:
    if name.startswith("transfer"):
        entries = [c.get("answers") or {} for c in cases]
    else:
        k = name.removeprefix("k=")
        entries = [cards.get(c["id"], {}).get("by_k", {}).get(k, {}) for c in cases]
    return {"me": sum(e.get("me", 0) for e in entries), "not_me": sum(e.get("not_me", 0) for e in entries)}


def parse_ks(text: str) -> list[int]:
    """"0,3,10" → [0, 3, 10] (0 always included: the plain run)."""
    try:
        ks = sorted({0, *(int(k) for k in text.split(",") if k.strip())})
    except ValueError as exc:
        raise ValueError(f"--answers takes numbers of cards like 0,3,10, not {text!r}") from exc
    if ks[0] < 0:
        raise ValueError("a number of answers cannot be negative")
    return ks


def collect(engine, simulated: Sequence[tuple], *, ks: Sequence[int], enrollments: Enrollments,
            transfer_groups: Sequence[str] = (), log=lambda line: None) -> dict:
    """The answers report over simulated cases [(case, plain result, {k: result}, answers)], running the
    transfer cases of `transfer_groups` ("all": every group)."""
    runs: dict[str, list[dict]] = {f"k={k}": [by_k[k] for _, _, by_k, _ in simulated] for k in ks}
    cards = {plain["id"]: plain["answers"] for _, plain, _, _ in simulated}
    wanted = [(case, plain, answered) for case, plain, _, answered in simulated
              if case.group and ("all" in transfer_groups or case.group in transfer_groups)]
    for k in [k for k in ks if k > 0] if wanted else []:
        runs[f"transfer k={k}"] = []
        for case, plain, _ in wanted:
            sources = [a for other, _, a in wanted if other.id != case.id and other.group == case.group and other.owner == case.owner]
            result = transfer_case(engine, case, sources, enrollments=enrollments, k=k)
            if result is None:
                result = {**plain, "answers": lite(plain)}
            runs[f"transfer k={k}"].append(result)
            cov = result["coverage"]
            log(f"transfer k={k} {case.id}: recall {cov['recall']} leak {cov['leak']} ({result['answers']['me']} me, {result['answers']['not_me']} not me)")
    report = answers_report(runs, cards)
    report["transfer_groups"] = list(transfer_groups)
    return report
