"""enrollment/selectors.py, the job-queue reads an operator's tools use (manage.py status, /metrics)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from enrollment.models import Enrollment
from enrollment.selectors import (
    enrollment_oldest_pending,
    enrollment_rejection_counts,
    enrollment_status_counts,
    enrollment_stuck,
)
from tests.factories import EnrollmentFactory


def test_it_counts_enrollments_by_status_and_rejections_by_code(user):
    EnrollmentFactory(user=user)
    EnrollmentFactory(user=user, status=Enrollment.Status.PENDING, voiceprint=None)
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error_code="too_short")
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error_code="too_short")
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error_code="")
    assert enrollment_status_counts() == {"pending": 1, "processing": 0, "ready": 1, "rejected": 3}
    assert enrollment_rejection_counts() == {"too_short": 2, "unknown": 1}
    assert set(enrollment_oldest_pending()) == {"pending"}


def test_it_calls_stuck_only_enrollment_claims_past_their_lease(user):
    now = timezone.now()
    processing = {"status": Enrollment.Status.PROCESSING, "voiceprint": None}
    lease_over = {"claimed_at": now - timedelta(minutes=9), "next_attempt_at": now - timedelta(seconds=5)}
    stuck = EnrollmentFactory(user=user, **lease_over, **processing)
    EnrollmentFactory(user=user, claimed_at=now, next_attempt_at=now + timedelta(minutes=2), **processing)
    assert list(enrollment_stuck(now=now)) == [stuck]
