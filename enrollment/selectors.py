"""Reads of enrollments, including the owner's active voiceprint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db.models import Count, Min, QuerySet

from enrollment.models import DecisionReview, Enrollment, VoiceSample
from selective_speaker.speech.types import Span


@dataclass(frozen=True)
class ActiveVoiceprint:
    """The voiceprint chunks are compared with, the enrollments it was built from (newest
    first), how many owner-confirmed samples joined it with which share of its weight, and the
    negatives (k × dim embeddings of voices confirmed not to be the owner's; k may be 0)."""

    vector: np.ndarray
    enrollments: list[Enrollment]
    negatives: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    owner_samples: int = 0
    samples_share: float = 0.0
    device_id: str = ""  # the device its enrollments were recorded with ("" = any device)
    # the same through the telephone band (narrow-band chunks are judged against it); None when
    # one of its enrollments predates band matching
    vector_narrow: np.ndarray | None = None

    @property
    def newest(self) -> Enrollment:
        return self.enrollments[0]


def enrollment_list(*, user) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(user=user).order_by("-created_at", "-id")


def enrollment_get(*, user, enrollment_id: int) -> Enrollment | None:
    return enrollment_list(user=user).filter(id=enrollment_id).first()


def _ready(*, user) -> QuerySet[Enrollment]:
    return enrollment_list(user=user).filter(status=Enrollment.Status.READY, voiceprint__isnull=False)


def enrollment_ready_exists(*, user) -> bool:
    return _ready(user=user).exists()


def _active_enrollments(*, user, device_id: str | None = None) -> list[Enrollment]:
    """The enrollments whose voiceprint judges chunks of `device_id`, newest first; empty if
    none is ready. Which ones: the device's own ready enrollments when it has any, else the
    owner's device-independent ones (recorded without a device), else every ready one — the
    owner's voice as another device heard it is better than waiting. Of those, the newest and,
    up to `VOICEPRINT_COMBINE_LAST` in all, the newest ones made with the same model."""
    return _pick(list(_ready(user=user)), device_id)


def _pick(ready: list[Enrollment], device_id: str | None) -> list[Enrollment]:
    """`_active_enrollments` on the user's ready enrollments, newest first (one query for all)."""
    pool = ready
    for scope in ([device_id] if device_id else []) + [""]:
        scoped = [e for e in ready if e.device_id == scope]
        if scoped:
            pool = scoped
            break
    if not pool:
        return []
    newest = pool[0]
    same_model = [e for e in pool if e.model_id == newest.model_id and e.voiceprint_dim == newest.voiceprint_dim]
    return same_model[: max(1, settings.VOICEPRINT_COMBINE_LAST)]


def enrollment_active_voiceprint(*, user, device_id: str | None = None) -> ActiveVoiceprint | None:
    """The voiceprint the user's chunks from `device_id` are compared with (any device when
    None); None if no enrollment is ready.

    The rule: the enrollments `_active_enrollments` picks for the device — the newest one's
    voiceprint, or the speech-weighted combination of the newest `VOICEPRINT_COMBINE_LAST` of
    the same model; then owner-confirmed samples of that model heard by the same device (or of
    unknown device; the newest VOICEPRINT_SAMPLES_MAX) join it — each the voiceprint of its own
    band, wide or narrow (band.py) —, each weighted by its duration,
    their total weight capped so that they hold at most `VOICEPRINT_SAMPLES_MAX_SHARE` of the
    whole (the enrollments, weighted by their speech, always keep the rest: samples can refine
    the voiceprint, never replace it). Negatives are the newest VOICEPRINT_NEGATIVES_MAX "other
    voice" samples of the same model, from any device.
    """
    used = _active_enrollments(user=user, device_id=device_id)
    if not used:
        return None
    newest = used[0]
    same_model = VoiceSample.objects.filter(user=user, model_id=newest.model_id, dim=newest.voiceprint_dim)
    owner_samples = same_model.filter(kind=VoiceSample.Kind.OWNER)
    if device_id:
        owner_samples = owner_samples.filter(device_id__in=[device_id, ""])
    samples = list(owner_samples.only("embedding", "duration_ms", "band")[: settings.VOICEPRINT_SAMPLES_MAX])
    # a sample joins only the voiceprint of its band (speech/band.py): one cut from a phone call
    # would blur the wide-band voiceprint, and the other way round
    wide = [s for s in samples if s.band != "narrow"]
    narrow = [s for s in samples if s.band == "narrow"]
    others = same_model.filter(kind=VoiceSample.Kind.OTHER).only("embedding")[: settings.VOICEPRINT_NEGATIVES_MAX]
    negatives = [s.embedding_array() for s in others]
    dim = newest.voiceprint_dim or 0
    negatives_array = np.stack(negatives) if negatives else np.zeros((0, dim), dtype=np.float32)
    share = settings.VOICEPRINT_SAMPLES_MAX_SHARE
    narrows = [e.voiceprint_narrow_array() for e in used]
    if len(used) == 1 and not (samples and share > 0):
        return ActiveVoiceprint(
            vector=newest.voiceprint_array(),
            enrollments=used,
            negatives=negatives_array,
            device_id=newest.device_id,
            vector_narrow=narrows[0],
        )
    from selective_speaker.speech.voiceprint import voiceprint_with_samples

    def with_samples(vectors: list[np.ndarray], band_samples: list[VoiceSample]) -> tuple[np.ndarray, float]:
        # the same rule for both bands (the rule speechlab's answered-cards simulation measured)
        return voiceprint_with_samples(
            vectors,
            [float(e.speech_ms or 1) for e in used],
            [s.embedding_array() for s in band_samples],
            [s.duration_ms for s in band_samples],
            max_share=share,
        )

    vector, samples_share = with_samples([e.voiceprint_array() for e in used], wide)
    vector_narrow = None if any(n is None for n in narrows) else with_samples(narrows, narrow)[0]
    return ActiveVoiceprint(
        vector=vector,
        enrollments=used,
        negatives=negatives_array,
        owner_samples=len(wide) if samples_share else 0,
        samples_share=round(samples_share, 4),
        device_id=newest.device_id,
        vector_narrow=vector_narrow,
    )


def enrollment_active_ids(*, user) -> set[int]:
    """The enrollments in some active voiceprint: that of each device enrolled on its own, and
    the owner's device-independent one."""
    ready = list(_ready(user=user).defer("voiceprint", "timings"))
    scopes = {e.device_id for e in ready} | {""}
    return {e.id for scope in scopes for e in _pick(ready, scope or None)}


def decision_review_answers(*, chunk) -> tuple[list[Span], list[Span]]:
    """The chunk's stretches its owner answered about themselves: (said "that was me", said
    "not me"). Only the owner's own answers count here — a staff verdict teaches the voiceprint
    but never decides on its own that words are kept."""
    answered = DecisionReview.objects.filter(chunk_id=chunk.id, reviewed_by_id=chunk.user_id).values_list(
        "start_ms", "end_ms", "verdict"
    )
    me, not_me = [], []
    for start_ms, end_ms, verdict in answered:
        if verdict == DecisionReview.Verdict.OWNER:
            me.append(Span(start_ms, end_ms))
        elif verdict == DecisionReview.Verdict.NOT_OWNER:
            not_me.append(Span(start_ms, end_ms))
    return me, not_me


# --- the job queue, for operators (manage.py status, /metrics: operations/) -----------------

ENROLLMENT_PENDING_STATUSES = (Enrollment.Status.PENDING, Enrollment.Status.PROCESSING)


def enrollment_status_counts() -> dict[str, int]:
    """How many enrollments are in each status — every status, 0 when none (one GROUP BY)."""
    counts = dict(Enrollment.objects.order_by().values_list("status").annotate(count=Count("id")))
    return {status: counts.get(status, 0) for status in Enrollment.Status.values}


def enrollment_oldest_pending() -> dict[str, datetime]:
    """The upload time of the oldest enrollment in each pending status (pending, processing)
    that has any; a status without enrollments is absent."""
    rows = (
        Enrollment.objects.filter(status__in=ENROLLMENT_PENDING_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(oldest=Min("created_at"))
    )
    return dict(rows)


def enrollment_stuck(*, now: datetime) -> QuerySet[Enrollment]:
    """Enrollments `processing` under a claim past its lease: the worker that claimed them is
    gone (the one-minute sweep takes them over). The lease rule is the job machinery's own."""
    from enrollment.services import ENROLLMENT_JOBS  # the services read this module

    return Enrollment.objects.filter(ENROLLMENT_JOBS.stale(now)).order_by("claimed_at", "id")


def enrollment_rejection_counts() -> dict[str, int]:
    """Rejected enrollments by their RejectionCode (`error_code`; "" for a rejection stored
    without one, shown as "unknown")."""
    rows = (
        Enrollment.objects.filter(status=Enrollment.Status.REJECTED)
        .order_by()
        .values_list("error_code")
        .annotate(count=Count("id"))
    )
    return {code or "unknown": count for code, count in rows}
