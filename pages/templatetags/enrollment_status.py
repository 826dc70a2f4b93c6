"""How an enrollment's status reads to its owner: {% load enrollment_status %}.

The enrollment job stores the engine's reason for a rejection and its code (a RejectionCode:
selective_speaker/speech/types.py); this maps each code to plain words and what to do next.
The raw reason is still shown, as a detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings

from pages.context_processors import enroll_limits
from selective_speaker.speech.types import RejectionCode

register = template.Library()


@dataclass(frozen=True)
class EnrollmentOutcome:
    kind: str  # "waiting" | "accepted" | "rejected"
    headline: str
    advice: str = ""
    detail: str = ""  # the job's own words, when they add something
    phrase_mismatch: bool = False


def rejection_words(code: str) -> tuple[str, str] | None:
    """(headline, what to do) for a RejectionCode; None for an unknown or empty code. Limits in
    the advice come from settings (pages.context_processors.enroll_limits)."""
    limits = enroll_limits()
    words = {
        RejectionCode.TOO_SHORT: (
            "Too short: there was not enough speech in the recording.",
            f"Read the whole passage at a steady pace; at least {limits.advised_min_s} seconds of you "
            "speaking is best.",
        ),
        RejectionCode.TOO_QUIET: (
            "Too quiet: your voice was hard to hear.",
            (
                "Hold the phone about a hand's width from your mouth and speak at a normal volume. If nothing "
                "was recorded at all, check that the microphone is on and not muted."
            ),
        ),
        RejectionCode.SEVERAL_VOICES: (
            "More than one voice: somebody else can be heard in the recording.",
            "Record again alone, where nobody else is talking (a TV or radio counts too).",
        ),
        RejectionCode.INCONSISTENT_VOICE: (
            "Your voice could not be learned reliably from this recording.",
            "Record again in a quiet room, without music, echo or wind.",
        ),
        RejectionCode.TOO_LONG: (
            "Too long.",
            f"Keep the recording under {limits.advised_max_s} seconds: the passage shown is enough.",
        ),
        RejectionCode.UNREADABLE_AUDIO: (
            "The file could not be read as audio.",
            "Record here, or upload a common audio file (m4a, mp3, wav, ogg, webm or flac).",
        ),
        RejectionCode.AUDIO_MISSING: ("The recording was lost on the server.", "Please upload it again."),
        RejectionCode.GAVE_UP: (
            "The server could not process the recording.",
            "Try again later; if it keeps happening, tell the server's administrator.",
        ),
    }
    try:
        return words[RejectionCode(code)]
    except ValueError:
        return None


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
    known = rejection_words(enrollment.error_code)
    if known is not None:
        headline, advice = known
        return EnrollmentOutcome(kind="rejected", headline=headline, advice=advice, detail=reason)
    return EnrollmentOutcome(
        kind="rejected",
        headline="Not accepted.",
        advice=f"Record again: {enroll_limits().advised} seconds of you alone, in a quiet place.",
        detail=reason,
    )


def phrase_mismatch(enrollment) -> bool:
    """Whether what was heard is far from the phrase that was read (a hint, not a rejection:
    the voiceprint does not depend on the words)."""
    if not enrollment.phrase_text or enrollment.edit_distance is None:
        return False
    words = max(1, len(enrollment.phrase_text.split()))
    return enrollment.edit_distance / words > settings.ENROLL_PHRASE_MISMATCH_RATIO


@register.simple_tag
def outcome_of(enrollment) -> EnrollmentOutcome:
    """{% outcome_of enrollment as outcome %}"""
    return enrollment_outcome(enrollment)
