"""Writes of the review list, called from inside the transaction that stores a chunk's result.

Kept apart from enrollment/services.py because chunks.services calls it, and enrollment.services
imports chunks.services: this module imports models only.
"""

from __future__ import annotations

from enrollment.models import DecisionReview

# A shorter uncertain region is too short to judge by ear or to embed reliably.
REVIEW_MIN_MS = 500
# A new uncertain region overlapping a region staff already judged by at least this share of
# its own length is not asked about again.
REVIEW_COVERED_SHARE = 0.5


def decision_reviews_replace(*, chunk, decision: dict) -> int:
    """Replace the chunk's pending review items with one per uncertain region of its new result.

    Call inside the transaction that replaces the chunk's segments. Items staff already decided
    are kept (their verdicts and voice samples stay), and a new region they mostly cover is not
    asked about again; regions shorter than REVIEW_MIN_MS are skipped. Returns how many items
    were created. Nothing here holds text: only times, scores and the decision's settings.
    """
    DecisionReview.objects.filter(chunk_id=chunk.id, verdict=DecisionReview.Verdict.PENDING).delete()
    decided = list(
        DecisionReview.objects.filter(chunk_id=chunk.id)
        .exclude(verdict=DecisionReview.Verdict.PENDING)
        .values_list("start_ms", "end_ms")
    )
    reviews = []
    for region in decision.get("regions") or []:
        start_ms, end_ms = int(region["start_ms"]), int(region["end_ms"])
        if region.get("decision") != "uncertain" or end_ms - start_ms < REVIEW_MIN_MS:
            continue
        covered = sum(max(0, min(end_ms, e) - max(start_ms, s)) for s, e in decided)
        if covered >= REVIEW_COVERED_SHARE * (end_ms - start_ms):
            continue
        reviews.append(
            DecisionReview(
                chunk_id=chunk.id,
                user_id=chunk.user_id,
                start_ms=start_ms,
                end_ms=end_ms,
                similarity=region.get("similarity"),
                threshold=decision.get("threshold") or 0.0,
                margin=decision.get("uncertain_margin") or 0.0,
                strategy=str(decision.get("strategy") or "")[:32],
                embedding_model=str(decision.get("embedding_model") or "")[:128],
            )
        )
    DecisionReview.objects.bulk_create(reviews)
    return len(reviews)
