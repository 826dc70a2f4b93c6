"""The machinery every background job on a row shares — chunks and enrollments alike.

A job row carries `status`, `attempts`, `claimed_at`, `error` and `processed_at`. A job:
- **claims** its row with a conditional UPDATE (waiting status, or a stale `processing` claim)
  and goes on only when exactly one row changed — a duplicate delivery does nothing;
- writes its result only through `held()`, the row as long as this job still holds its claim;
- on a transient error **releases** the row for a retry (and re-raises, so that django-q2
  delivers the job again) until `JOB_MAX_ATTEMPTS`, then **fails** it with a readable reason;
- is **swept** by a periodic schedule when its worker died (`processing` for longer than
  `JOB_STALE_AFTER_S`) or its retry never came (brokers without redelivery drop failed jobs).

Jobs are enqueued only after the transaction that made the work commits (`robust`: a broker
outage is logged and cannot undo the committed row; the sweep or a reprocess picks it up).
The periodic schedules live in `settings.JOB_SCHEDULES` and are written after every
`migrate` (`schedules_sync`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from selective_speaker.speech.types import RejectionCode

log = logging.getLogger(__name__)

# Longest error text stored on a row (status pages and admin show it).
ERROR_MAX_CHARS = 1000


def enqueue_task(func: str, row_id: int, *, name: str, group: str) -> None:
    """Enqueue `func(row_id)` now (call it after commit)."""
    async_task(func, row_id, task_name=f"{name}-{row_id}", group=group)


def enqueue_task_on_commit(func: str, row_id: int, *, name: str, group: str) -> None:
    """Enqueue `func(row_id)` once the current transaction commits."""
    transaction.on_commit(functools.partial(enqueue_task, func, row_id, name=name, group=group), robust=True)


@dataclass(frozen=True)
class JobQueue:
    """The job lifecycle of one model: which statuses mean what, and which task runs it."""

    model: type[models.Model]
    task: str  # dotted path of the django-q2 task that takes the row's id
    label: str  # "chunk", "enrollment": task names (process-<label>-<id>) and logs
    waiting: tuple[str, ...]  # statuses a job may claim
    released: str  # where a row goes back to for a retry (queued, pending)
    processing: str
    failed: str  # the terminal failure (failed, rejected)
    code_field: str | None = None  # where a failure's RejectionCode is stored, if the model has one

    # --- enqueueing ------------------------------------------------------------------------

    def enqueue_on_commit(self, row_ids: Iterable[int]) -> None:
        for row_id in row_ids:
            enqueue_task_on_commit(self.task, row_id, name=f"process-{self.label}", group=f"process_{self.label}")

    # --- one job ---------------------------------------------------------------------------

    def stale(self, now: datetime) -> Q:
        """A `processing` claim older than a job may run: its worker is gone."""
        return Q(status=self.processing, claimed_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S))

    def claim(self, row_id: int) -> datetime | None:
        """Claim the row for this job: its claim time, or None when it is not claimable (done
        already, taken by another worker, deleted)."""
        claimed_at = timezone.now()
        claimed = (
            self.model.objects.filter(id=row_id)
            .filter(Q(status__in=self.waiting) | self.stale(claimed_at))
            .update(status=self.processing, attempts=F("attempts") + 1, claimed_at=claimed_at)
        )
        if claimed != 1:
            log.info("%s %s is not waiting to be processed; nothing to do", self.label, row_id)
            return None
        return claimed_at

    def held(self, row_id: int, claimed_at: datetime) -> QuerySet:
        """The row, as long as the job that claimed it at `claimed_at` still holds it."""
        return self.model.objects.filter(id=row_id, status=self.processing, claimed_at=claimed_at)

    def out_of_attempts(self, row) -> bool:
        """Earlier claims died without reporting (worker killed, timeout)."""
        return row.attempts > settings.JOB_MAX_ATTEMPTS

    def fail_exhausted(self, row, claimed_at: datetime) -> None:
        self.fail(
            row, claimed_at, f"processing did not finish after {row.attempts - 1} attempts", code=RejectionCode.GAVE_UP
        )

    def fail(self, row, claimed_at: datetime, reason: str, *, code: str | None = None) -> None:
        """End the job for good with a reason the owner and staff can read (and its code)."""
        fields = {"status": self.failed, "error": reason[:ERROR_MAX_CHARS], "processed_at": timezone.now()}
        if self.code_field:
            fields[self.code_field] = str(code or "")
        self.held(row.id, claimed_at).update(**fields)
        for name, value in fields.items():
            setattr(row, name, value)
        log.warning("%s %s %s: %s", self.label, row.id, self.failed, fields["error"])

    def retry_or_fail(self, row, claimed_at: datetime, exc: Exception):
        """Fail for good after the last attempt (returns the row); otherwise release the claim
        and re-raise `exc` for a retry."""
        reason = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        if row.attempts >= settings.JOB_MAX_ATTEMPTS:
            self.fail(row, claimed_at, f"gave up after {row.attempts} attempts: {reason}", code=RejectionCode.GAVE_UP)
            return row
        log.warning("%s %s attempt %s failed, will retry: %s", self.label, row.id, row.attempts, reason)
        self.held(row.id, claimed_at).update(
            status=self.released, error=f"attempt {row.attempts} failed: {reason}"[:ERROR_MAX_CHARS]
        )
        raise exc

    # --- queueing again --------------------------------------------------------------------

    def requeue(self, rows: QuerySet) -> list[int]:
        """Queue `rows` again from scratch (reprocess): rows being processed right now are
        skipped (unless their claim is stale). Returns the ids queued."""
        eligible = rows.filter(~Q(status=self.processing) | self.stale(timezone.now()))
        with transaction.atomic():
            queued = list(eligible.select_for_update().values_list("id", flat=True))
            cleared = {self.code_field: ""} if self.code_field else {}
            self.model.objects.filter(id__in=queued).update(
                status=self.released, attempts=0, error="", claimed_at=None, **cleared
            )
            self.enqueue_on_commit(queued)
        return queued

    def requeue_stale(self, *, now: datetime | None = None) -> int:
        """Enqueue again, for a periodic schedule: rows whose worker died mid-job, and rows
        released for a retry that never came (brokers without redelivery, such as Redis, drop
        a failed job). Clearing `claimed_at` makes each release swept once; a duplicate
        delivery is a no-op. Returns how many were enqueued."""
        now = now or timezone.now()
        stale = self.stale(now) | Q(
            status=self.released, claimed_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S)
        )
        with transaction.atomic():
            stale_ids = list(self.model.objects.select_for_update().filter(stale).values_list("id", flat=True))
            self.model.objects.filter(id__in=stale_ids).filter(stale).update(status=self.released, claimed_at=None)
            self.enqueue_on_commit(stale_ids)
        return len(stale_ids)


# --- periodic schedules ----------------------------------------------------------------------


def schedules_sync(**_kwargs) -> None:
    """Write `settings.JOB_SCHEDULES` into django-q2's schedule table (a post_migrate
    receiver): each entry's name, task, and interval in minutes (60 = hourly)."""
    from django_q.models import Schedule

    for name, func, minutes in settings.JOB_SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
