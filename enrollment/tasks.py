"""django-q2 entry points for enrollments: load by id, call a service. No logic here."""

from __future__ import annotations

from enrollment.models import Enrollment
from enrollment.services import enrollment_process, enrollment_requeue_stale, enrollment_sweep_orphan_files
from selective_speaker.jobs import request_scoped


@request_scoped
def process_enrollment(enrollment_id: int) -> str:
    enrollment = Enrollment.objects.filter(id=enrollment_id).first()
    if enrollment is None:
        return "gone"
    processed = enrollment_process(enrollment=enrollment)
    return "skipped" if processed is None else processed.status


def requeue_stale_enrollments() -> int:
    return enrollment_requeue_stale()


def sweep_orphan_files() -> int:
    return enrollment_sweep_orphan_files()
