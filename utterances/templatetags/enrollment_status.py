"""How an enrollment's status reads to its owner: {% load enrollment_status %}.

The enrollment job stores the engine's reason for a rejection (selective_speaker/speech/engine.py
`enroll`, the decoder's AudioError reasons, the job's own give-up messages); this maps each to
plain words and what to do next. The raw reason is still shown, as a detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import template

register = template.Library()

# A transcript this far from the phrase (word edits per phrase word) gets a "not matched" note.
PHRASE_MISMATCH_RATIO = 0.35


@dataclass(frozen=True)
class EnrollmentOutcome:
    kind: str  # "waiting" | "accepted" | "rejected"
    headline: str
    advice: str = ""
    detail: str = ""  # the job's own words, when they add something
    phrase_mismatch: bool = False


# (pattern of the job's reason, headline, what to do)
REJECTION_REASONS: tuple[tuple[re.Pattern, str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), headline, advice)
    for pattern, headline, advice in (
        (
            r"too little speech|audio is too short",
            "Too short: there was not enough speech in the recording.",
            "Read the whole passage at a steady pace; at least 10 seconds of you speaking is best.",
        ),
        (
            r"too quiet|silent",
            "Too quiet: your voice was hard to hear.",
            "Hold the phone about a hand's width from your mouth and speak at a normal volume.",
        ),
        (
            r"more than one voice",
            "More than one voice: somebody else can be heard in the recording.",
            "Record again alone, where nobody else is talking (a TV or radio counts too).",
        ),
        (
            r"not consistent",
            "Your voice could not be learned reliably from this recording.",
            "Record again in a quiet room, without music, echo or wind.",
        ),
        (
            r"too long|longer than the limit",
            "Too long.",
            "Keep the recording under 30 seconds: the passage shown is enough.",
        ),
        (
            r"not audio|could not be decoded|no audio stream|no audio samples|file is empty|truncated|invalid",
            "The file could not be read as audio.",
            "Record here, or upload a common audio file (m4a, mp3, wav, ogg, webm or flac).",
        ),
        (
            r"missing from storage",
            "The recording was lost on the server.",
            "Please upload it again.",
        ),
        (
            r"gave up after|did not finish",
            "The server could not process the recording.",
            "Try again later; if it keeps happening, tell the server's administrator.",
        ),
    )
)


def enrollment_outcome(enrollment) -> EnrollmentOutcome:
    """What an enrollment's status means for its owner, in plain words."""
    status = enrollment.status
    if status in ("pending", "processing"):
        retrying = enrollment.error.startswith("attempt ")
        return EnrollmentOutcome(
            kind="waiting",
            headline="Checking your recording…",
            advice=(
                "A first try did not finish; trying again." if retrying else "This usually takes less than a minute."
            ),
        )
    if status == "ready":
        return EnrollmentOutcome(
            kind="accepted",
            headline="Accepted: your voice is enrolled.",
            advice="From now on, only what you say in your recordings is kept.",
            phrase_mismatch=phrase_mismatch(enrollment),
        )
    reason = enrollment.error or ""
    for pattern, headline, advice in REJECTION_REASONS:
        if pattern.search(reason):
            return EnrollmentOutcome(kind="rejected", headline=headline, advice=advice, detail=reason)
    return EnrollmentOutcome(
        kind="rejected",
        headline="Not accepted.",
        advice="Record again: 10–30 seconds of you alone, in a quiet place.",
        detail=reason,
    )


def phrase_mismatch(enrollment) -> bool:
    """Whether what was heard is far from the phrase that was read (a hint, not a rejection:
    the voiceprint does not depend on the words)."""
    if not enrollment.phrase_text or enrollment.edit_distance is None:
        return False
    words = max(1, len(enrollment.phrase_text.split()))
    return enrollment.edit_distance / words > PHRASE_MISMATCH_RATIO


@register.simple_tag
def outcome_of(enrollment) -> EnrollmentOutcome:
    """{% outcome_of enrollment as outcome %}"""
    return enrollment_outcome(enrollment)
