"""Reads for staff: one user's voice summary (enrollments, voiceprint, chunks, reviews, samples)
and the distribution of owner similarities the engine recorded in the chunks' audit records."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db.models import Count

from chunks.models import Chunk
from enrollment.models import DecisionReview, Enrollment, VoiceSample
from enrollment.selectors import ActiveVoiceprint, enrollment_active_voiceprint, enrollment_list
from selective_speaker.speech.decision import DecisionRecord
from selective_speaker.speech.types import Decision

FAILURES_SHOWN = 10
# The histogram reads the audit records of the user's newest processed chunks, at most this many.
HISTOGRAM_CHUNKS = 500
BIN_WIDTH = 0.02
DECISIONS = tuple(Decision)  # owner, uncertain, other


@dataclass(frozen=True)
class SimilarityHistogram:
    """Seconds of speech per owner-similarity bin, by the engine's decision on the region."""

    lo: float  # left edge of the first bin
    width: float
    seconds: dict[str, list[float]]  # decision → seconds per bin
    threshold: float | None  # of the newest record
    margin: float | None
    other_thresholds: list[float]  # older records decided with these thresholds
    chunks: int
    regions: int
    reviewed: dict[str, list[float]] = field(default_factory=dict)  # verdict → similarities

    @property
    def bins(self) -> int:
        return len(self.seconds["owner"])

    @property
    def hi(self) -> float:
        return self.lo + self.bins * self.width


@dataclass(frozen=True)
class VoiceSummary:
    user: object
    enrollments: list[Enrollment]  # newest first; `in_active_voiceprint` set on each
    active: ActiveVoiceprint | None
    chunk_counts: list[tuple[str, str, int]]  # (status, label, count) for every status
    failures: list[Chunk]  # the newest failed or indeterminate chunks, with their reasons
    samples: dict[str, int]  # kind → count
    verdicts: dict[str, int]  # verdict → count
    histogram: SimilarityHistogram | None

    @property
    def chunk_total(self) -> int:
        return sum(count for _, _, count in self.chunk_counts)


def voice_summary(*, user) -> VoiceSummary:
    active = enrollment_active_voiceprint(user=user)
    active_ids = set() if active is None else {e.id for e in active.enrollments}
    enrollments = list(enrollment_list(user=user).defer("voiceprint", "timings"))
    for enrollment in enrollments:
        enrollment.in_active_voiceprint = enrollment.id in active_ids
    by_status = _counts(Chunk.objects.filter(user=user), "status")
    failures = list(
        Chunk.objects.filter(user=user, status__in=[Chunk.Status.FAILED, Chunk.Status.INDETERMINATE])
        .only("id", "device_id", "start_ts", "status", "error", "attempts", "processed_at")
        .order_by("-processed_at", "-id")[:FAILURES_SHOWN]
    )
    samples = _counts(VoiceSample.objects.filter(user=user), "kind")
    verdicts = _counts(DecisionReview.objects.filter(user=user), "verdict")
    return VoiceSummary(
        user=user,
        enrollments=enrollments,
        active=active,
        chunk_counts=[(value, label, by_status.get(value, 0)) for value, label in Chunk.Status.choices],
        failures=failures,
        samples={kind: samples.get(kind, 0) for kind in VoiceSample.Kind.values},
        verdicts={verdict: verdicts.get(verdict, 0) for verdict in DecisionReview.Verdict.values},
        histogram=similarity_histogram(user=user),
    )


def _counts(queryset, name: str) -> dict[str, int]:
    """{value of `name`: rows} in one GROUP BY query."""
    return {row[name]: row["n"] for row in queryset.order_by().values(name).annotate(n=Count("id"))}


def similarity_histogram(*, user, chunks: int = HISTOGRAM_CHUNKS) -> SimilarityHistogram | None:
    """The owner similarities of the regions recorded in the user's newest processed chunks,
    as seconds of speech per BIN_WIDTH bin and decision; None when no region has a score."""
    # Any status: a chunk queued again, or failed on a retry, keeps its last recorded decision.
    records = (
        Chunk.objects.filter(user=user)
        .exclude(processed_at=None)
        .order_by("-processed_at", "-id")
        .values_list("decision", flat=True)[:chunks]
    )
    scored: list[tuple[float, str, float]] = []  # (similarity, decision, seconds)
    thresholds: list[float] = []
    margin = None
    used = 0
    for stored in records:
        if not isinstance(stored, dict) or not isinstance(stored.get("regions"), list):
            continue  # failed before the engine decided anything
        record = DecisionRecord.from_dict(stored)
        used += 1
        threshold = record.threshold
        if isinstance(threshold, (int, float)):
            if not thresholds:
                margin = record.uncertain_margin
            if threshold not in thresholds:
                thresholds.append(threshold)
        for region in record.regions:
            similarity = region.similarity
            if similarity is None or not math.isfinite(similarity) or region.decision not in DECISIONS:
                continue
            seconds = max(0, region.end_ms - region.start_ms) / 1000
            scored.append((float(similarity), str(region.decision), seconds))
    if not scored:
        return None
    reviewed: dict[str, list[float]] = {DecisionReview.Verdict.OWNER: [], DecisionReview.Verdict.NOT_OWNER: []}
    for verdict, similarity in (
        DecisionReview.objects.filter(user=user, similarity__isnull=False)
        .exclude(verdict=DecisionReview.Verdict.PENDING)
        .values_list("verdict", "similarity")
    ):
        reviewed[verdict].append(similarity)
    threshold = thresholds[0] if thresholds else None
    edges = [s for s, _, _ in scored] + [v for values in reviewed.values() for v in values]
    if threshold is not None:
        edges += [threshold - (margin or 0) - BIN_WIDTH, threshold + BIN_WIDTH]
    lo = max(-1.0, math.floor(min(edges) / BIN_WIDTH) * BIN_WIDTH)
    hi = min(1.0, math.ceil(max(edges) / BIN_WIDTH) * BIN_WIDTH)
    bins = max(1, round((hi - lo) / BIN_WIDTH))
    seconds = {decision: [0.0] * bins for decision in DECISIONS}
    for similarity, decision, duration in scored:
        index = min(bins - 1, max(0, int((similarity - lo) / BIN_WIDTH)))
        seconds[decision][index] += duration
    return SimilarityHistogram(
        lo=round(lo, 4),
        width=BIN_WIDTH,
        seconds=seconds,
        threshold=threshold,
        margin=margin if isinstance(margin, (int, float)) else None,
        other_thresholds=thresholds[1:],
        chunks=used,
        regions=len(scored),
        reviewed=reviewed,
    )


# --- "Was this you?": the owner's own questions ------------------------------------------------


def voice_checks_pending(*, user, since=None, until=None):
    """The user's uncertain stretches still waiting for an answer, whose audio can be played
    (the chunk's audio is kept), newest first; `since`/`until` bound the chunk's
    start. Text-free: the stretch was never transcribed."""
    checks = DecisionReview.objects.filter(user=user, verdict=DecisionReview.Verdict.PENDING).exclude(chunk__audio="")
    if since is not None:
        checks = checks.filter(chunk__start_ts__gte=since)
    if until is not None:
        checks = checks.filter(chunk__start_ts__lt=until)
    return (
        checks.select_related("chunk")
        .defer("chunk__decision", "chunk__timings")
        .order_by("-created_at", "-id")
    )


def voice_check_get(*, user, check_id: int) -> DecisionReview | None:
    """One of the user's review items (None for anyone else's), with its chunk."""
    return DecisionReview.objects.filter(user=user, id=check_id).select_related("chunk").first()
