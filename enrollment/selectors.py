"""Reads of enrollments, including the owner's active voiceprint."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import QuerySet

from enrollment.models import Enrollment, VoiceSample

# The newest owner samples that join the voiceprint, and the newest negatives passed on.
VOICEPRINT_SAMPLES_MAX = 200
NEGATIVES_MAX = 100


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


def _active_enrollments(*, user) -> list[Enrollment]:
    """The newest ready enrollment and, up to `VOICEPRINT_COMBINE_LAST` in all, the newest
    ready ones made with the same model (newest first); empty if none is ready."""
    newest = _ready(user=user).first()
    if newest is None:
        return []
    count = max(1, settings.VOICEPRINT_COMBINE_LAST)
    if count == 1:
        return [newest]
    return list(_ready(user=user).filter(model_id=newest.model_id, voiceprint_dim=newest.voiceprint_dim)[:count])


def enrollment_active_voiceprint(*, user) -> ActiveVoiceprint | None:
    """The voiceprint the user's chunks are compared with; None if no enrollment is ready.

    The rule: the newest ready enrollment's voiceprint, or the speech-weighted combination of
    the newest `VOICEPRINT_COMBINE_LAST` ready ones of the same model; then owner-confirmed
    review samples of that model (the newest VOICEPRINT_SAMPLES_MAX) join it, each weighted by
    its duration, their total weight capped so that they hold at most
    `VOICEPRINT_SAMPLES_MAX_SHARE` of the whole (the enrollments, weighted by their speech,
    always keep the rest: samples can refine the voiceprint, never replace it). Negatives are
    the newest NEGATIVES_MAX "other voice" samples of the same model.
    """
    used = _active_enrollments(user=user)
    if not used:
        return None
    newest = used[0]
    same_model = VoiceSample.objects.filter(user=user, model_id=newest.model_id, dim=newest.voiceprint_dim)
    samples = list(
        same_model.filter(kind=VoiceSample.Kind.OWNER).only("embedding", "duration_ms")[:VOICEPRINT_SAMPLES_MAX]
    )
    others = same_model.filter(kind=VoiceSample.Kind.OTHER).only("embedding")[:NEGATIVES_MAX]
    negatives = [s.embedding_array() for s in others]
    dim = newest.voiceprint_dim or 0
    negatives_array = np.stack(negatives) if negatives else np.zeros((0, dim), dtype=np.float32)
    share = settings.VOICEPRINT_SAMPLES_MAX_SHARE
    if len(used) == 1 and not (samples and share > 0):
        return ActiveVoiceprint(vector=newest.voiceprint_array(), enrollments=used, negatives=negatives_array)
    from selective_speaker.speech.voiceprint import combine_voiceprints

    vectors = [e.voiceprint_array() for e in used]
    weights = [float(e.speech_ms or 1) for e in used]
    samples_share = 0.0
    if samples and share > 0:
        enrolled = sum(weights)
        heard = float(sum(max(s.duration_ms, 1) for s in samples))
        given = min(heard, enrolled * share / (1 - share))
        vectors += [s.embedding_array() for s in samples]
        weights += [given * max(s.duration_ms, 1) / heard for s in samples]
        samples_share = given / (enrolled + given)
    return ActiveVoiceprint(
        vector=combine_voiceprints(vectors, weights),
        enrollments=used,
        negatives=negatives_array,
        owner_samples=len(samples) if samples_share else 0,
        samples_share=round(samples_share, 4),
    )


def enrollment_active_ids(*, user) -> set[int]:
    return {e.id for e in _active_enrollments(user=user)}
