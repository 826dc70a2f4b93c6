"""Writes of review: a verdict on uncertain owner decisions — by staff, or by the owner answering
"Was this you?" — and what follows from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chunks.services import chunk_reprocess
from enrollment.models import DecisionReview, VoiceSample
from enrollment.services import decision_reviews_judge, voice_sample_record
from utterances.services import utterance_delete


@dataclass(frozen=True)
class ReviewOutcome:
    """What judging review items did, for the admin's message."""

    marked: int  # items that now carry the verdict
    samples: int  # voice samples stored or turned to the verdict's kind
    without_sample: int  # items judged, but no sample: audio no longer kept or unreadable
    chunks_queued: int  # chunks queued for reprocessing with the new voiceprint
    chunks_skipped: int  # chunks not queued: being processed now, or audio no longer kept


def decision_review_judge(*, reviews: Iterable[DecisionReview], verdict: str, reviewed_by) -> ReviewOutcome:
    """Record staff's verdict on review items, let the voice learn from their audio
    (enrollment.services.decision_reviews_judge), then reprocess their chunks once, with the
    voiceprint or negatives that now include them."""
    judged = decision_reviews_judge(reviews=reviews, verdict=verdict, reviewed_by=reviewed_by)
    chunks = list({item.chunk_id: item.chunk for item in judged.items}.values())
    queued = chunk_reprocess(chunks=chunks)
    return ReviewOutcome(
        marked=len(judged.items),
        samples=judged.samples,
        without_sample=judged.without_sample,
        chunks_queued=queued,
        chunks_skipped=len(chunks) - queued,
    )


# --- the owner's own answers ("Was this you?") ---------------------------------------------------


def voice_check_answer(*, check: DecisionReview, me: bool, user) -> ReviewOutcome:
    """The owner answers about one uncertain stretch of their own chunk. "me": the stretch is
    theirs — it is transcribed on the reprocess that follows (their word overrides the voice
    match, enrollment.selectors.decision_review_answers) and its voice joins the voiceprint of
    that device (bounded by VOICEPRINT_SAMPLES_MAX_SHARE); "not me": never transcribed, and the
    voice is kept as a negative. Answering again turns the verdict round (and the sample with
    it): every answer is recorded with who gave it and when."""
    if check.user_id != user.id:
        raise PermissionError("only the chunk's owner answers for their voice")
    verdict = DecisionReview.Verdict.OWNER if me else DecisionReview.Verdict.NOT_OWNER
    return decision_review_judge(reviews=[check], verdict=verdict, reviewed_by=user)


def utterance_not_me(*, utterance) -> bool:
    """The owner says a kept utterance was somebody else: its voice is kept as a negative (when
    the audio is still there) and the utterance is deleted for good. Returns whether a negative
    was stored."""
    sample = voice_sample_record(
        chunk=utterance.chunk, start_ms=utterance.start_ms, end_ms=utterance.end_ms, kind=VoiceSample.Kind.OTHER
    )
    utterance_delete(utterance=utterance)
    return sample is not None
