"""Reads of enrollments, including the owner's active voiceprint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import QuerySet

from enrollment.models import Enrollment


@dataclass(frozen=True)
class ActiveVoiceprint:
    """The voiceprint chunks are compared with, and the enrollments it was built from (newest first)."""

    vector: np.ndarray
    enrollments: list[Enrollment]

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


def enrollment_active_voiceprint(*, user) -> ActiveVoiceprint | None:
    """The newest ready enrollment's voiceprint, or the speech-weighted combination of the
    newest `VOICEPRINT_COMBINE_LAST` ready ones made with the same model; None if none is ready."""
    newest = _ready(user=user).first()
    if newest is None:
        return None
    count = max(1, settings.VOICEPRINT_COMBINE_LAST)
    if count == 1:
        return ActiveVoiceprint(vector=newest.voiceprint_array(), enrollments=[newest])
    from selective_speaker.speech.voiceprint import combine_voiceprints

    used = list(_ready(user=user).filter(model_id=newest.model_id, voiceprint_dim=newest.voiceprint_dim)[:count])
    vector = combine_voiceprints([e.voiceprint_array() for e in used], [float(e.speech_ms or 1) for e in used])
    return ActiveVoiceprint(vector=vector, enrollments=used)


def enrollment_active_ids(*, user) -> set[int]:
    active = enrollment_active_voiceprint(user=user)
    return set() if active is None else {e.id for e in active.enrollments}
