"""The machinery every background job on a row shares — chunks and enrollments alike.

A job row carries `status`, `attempts`, `claimed_at`, `next_attempt_at`, `enqueued_at`, `error`
and `processed_at`. A job:
- is **enqueued through an outbox**: the row (and its file) is committed first and the job is
  handed to the broker after the commit; `enqueued_at` records that the broker took it. A
  broker that refuses (Redis down) is logged, never raised — the upload stands, nothing is
  deleted — and the sweep enqueues every waiting row whose job the broker never took, after
  `JOB_ENQUEUE_GRACE_S`, or took `JOB_RESEND_AFTER_S` ago without it starting (lost);
- **claims** its row with a conditional UPDATE (waiting status, or a claim past its lease)
  and goes on only when exactly one row changed — a duplicate delivery does nothing. The
  claim's lease, kept in `next_attempt_at`, is the job's expected time: `JOB_STALE_MARGIN_S`
  + audio length × `JOB_STALE_RTF`, at most `JOB_STALE_AFTER_S`; past it the worker is gone;
- writes its result only through `held()`, the row as long as this job still holds its claim;
- on a transient error **releases** the row for a retry after a back-off (`JOB_RETRY_BASE_S`,
  doubling, at most `JOB_RETRY_MAX_S`; a one-off django-q2 schedule enqueues it then) and
  re-raises, until `JOB_MAX_ATTEMPTS`, then **fails** it with a readable reason;
- is **swept** by a periodic schedule: claims past their lease are released and enqueued
  again, and waiting rows the broker never took are enqueued;
- **runs under a request id** (queues made with `request_scoped=True`, whose task is wrapped in
  `request_scoped`): the id of the request that queued it (an upload, a staff reprocess) travels
  with the job as the task's `request_id` keyword — for a job the sweep sends, the one its row
  stored at upload — and the task makes it the current request id while it runs, so the job's
  log lines carry the id of the upload's web lines.

django-q2's own redelivery is kept for what only it can see: a row job asks the broker to
acknowledge a failure (`ack_failure`: its retry is the back-off above), so the broker hands a
job out again only when its worker died, after `Q_RETRY_S` — later than any lease, so the
claim is stale by then or the sweep has recovered the row already and the redelivery finds
nothing to do. The periodic schedules live in `settings.JOB_SCHEDULES` and are written after
every `migrate` (`schedules_sync`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from selective_speaker.request_id import request_id_bound, stored_request_id
from selective_speaker.speech.types import RejectionCode

log = logging.getLogger(__name__)

# Longest error text stored on a row (status pages and admin show it).
ERROR_MAX_CHARS = 1000
# Rows one sweep enqueues per kind of job, oldest first; the rest go with the next sweep.
SWEEP_BATCH = 1000


def enqueue_task(func: str, row_id: int, *, name: str, group: str, request_id: str = "", **options) -> bool:
    """Hand `func(row_id)` to the broker now (with `request_id=` when there is one, for a
    `request_scoped` task); False (logged, never raised) when it refuses."""
    if request_id:
        options["request_id"] = request_id
    try:
        async_task(func, row_id, task_name=f"{name}-{row_id}", group=group, **options)
    except Exception:
        log.warning("the broker refused job %s-%s; the sweep will enqueue it", name, row_id, exc_info=True)
        return False
    return True


def request_scoped(task: Callable[[int], object]) -> Callable[..., object]:
    """A django-q2 task on a row that runs under the request id it was queued with."""

    @functools.wraps(task)
    def run(row_id: int, *, request_id: str = "") -> object:
        with request_id_bound(request_id):
            return task(row_id)

    return run


@dataclass(frozen=True)
class Outbox:
    """One kind of job on a model's rows: enqueued after the commit that made its work, and
    marked in `sent_field` once the broker took it, so that a sweep can send what it did not."""

    model: type[models.Model]
    task: str  # dotted path of the django-q2 task that takes the row's id
    name: str  # task names: <name>-<row id>
    group: str
    sent_field: str = "enqueued_at"
    ack_failure: bool = False  # a failed job is not handed out again by the broker
    request_scoped: bool = False  # the task takes `request_id=` (it is wrapped in `request_scoped`)

    def send(self, row_ids: Iterable[int], *, request_id: str | None = None) -> list[int]:
        """Enqueue now; returns the ids the broker took. The first refusal ends the batch (the
        broker is down: the sweep sends the rest once it is back). Each job carries
        `request_id`, else the current request's, else (a sweep) the one its row stored."""
        started = timezone.now()
        options = {"ack_failure": True} if self.ack_failure else {}
        row_ids = list(row_ids)
        request_id = request_id if request_id is not None else stored_request_id()
        stored = {} if request_id or not row_ids or not self.request_scoped else self._stored_request_ids(row_ids)
        sent = []
        for row_id in row_ids:
            row_request_id = (request_id or stored.get(row_id, "")) if self.request_scoped else ""
            if not enqueue_task(
                self.task, row_id, name=self.name, group=self.group, request_id=row_request_id, **options
            ):
                break
            sent.append(row_id)
        if sent:
            # not over a later mark (a retry scheduled meanwhile)
            unmarked = Q(**{f"{self.sent_field}__isnull": True}) | Q(**{f"{self.sent_field}__lte": started})
            try:
                self.model.objects.filter(id__in=sent).filter(unmarked).update(**{self.sent_field: timezone.now()})
            except DatabaseError:
                log.warning("marking %s jobs as enqueued failed; a sweep may send them again", self.name, exc_info=True)
        return sent

    def send_on_commit(self, row_ids: Iterable[int]) -> None:
        """Enqueue once the current transaction commits (at once outside of one), under the
        current request id."""
        ids = list(row_ids)
        request_id = stored_request_id()
        if ids:
            transaction.on_commit(lambda: self.send(ids, request_id=request_id), robust=True)

    def _stored_request_ids(self, row_ids: list[int]) -> dict[int, str]:
        """The request ids the rows stored when they were made (models without one: none)."""
        if not any(field.name == "request_id" for field in self.model._meta.concrete_fields):
            return {}
        try:
            return dict(self.model.objects.filter(id__in=row_ids).values_list("id", "request_id"))
        except DatabaseError:
            log.warning("reading the request ids of %s jobs failed; they go without", self.name, exc_info=True)
            return {}

    def unsent(self, now: datetime) -> Q:
        """Rows whose job the broker never took, or took so long ago that it must have lost it."""
        lost = now - timedelta(seconds=settings.JOB_RESEND_AFTER_S)
        return Q(**{f"{self.sent_field}__isnull": True}) | Q(**{f"{self.sent_field}__lt": lost})


@dataclass(frozen=True)
class JobQueue:
    """The job lifecycle of one model: which statuses mean what, and which task runs it."""

    model: type[models.Model]
    task: str  # dotted path of the django-q2 task that takes the row's id
    label: str  # "chunk", "enrollment": task names (process-<label>-<id>) and logs
    waiting: tuple[str, ...]  # statuses a job may claim
    released: str  # where a row waits for its job, and goes back to for a retry (queued, pending)
    processing: str
    failed: str  # the terminal failure (failed, rejected)
    code_field: str | None = None  # where a failure's RejectionCode is stored, if the model has one
    request_scoped: bool = False  # the task takes `request_id=` (it is wrapped in `request_scoped`)

    # --- enqueueing ------------------------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        return Outbox(
            self.model,
            self.task,
            f"process-{self.label}",
            f"process_{self.label}",
            ack_failure=True,
            request_scoped=self.request_scoped,
        )

    def enqueue_on_commit(self, row_ids: Iterable[int]) -> None:
        self.outbox.send_on_commit(row_ids)

    def waiting_again(self, now: datetime) -> dict:
        """The fields of a row put back to wait for a job enqueued after this commit."""
        return {"status": self.released, "next_attempt_at": now, "enqueued_at": None}

    # --- one job ---------------------------------------------------------------------------

    @staticmethod
    def lease_s(duration_ms: int | None) -> float:
        """How long a job on audio of this length may hold its claim: the expected time, with a
        pessimistic real-time factor and a margin, at most JOB_STALE_AFTER_S."""
        longest = settings.JOB_STALE_AFTER_S
        if duration_ms is None:
            return longest
        return min(settings.JOB_STALE_MARGIN_S + settings.JOB_STALE_RTF * duration_ms / 1000, longest)

    @staticmethod
    def retry_delay_s(attempts: int) -> float:
        """The back-off after the `attempts`-th failed attempt: BASE, 2×, 4×, … at most MAX."""
        return min(settings.JOB_RETRY_BASE_S * 2 ** max(attempts - 1, 0), settings.JOB_RETRY_MAX_S)

    def stale(self, now: datetime) -> Q:
        """A `processing` claim past its lease: its worker is gone. (A claim made before leases
        were stored has none: it is stale after JOB_STALE_AFTER_S.)"""
        unleased = Q(next_attempt_at__isnull=True, claimed_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S))
        return Q(status=self.processing) & (Q(next_attempt_at__lt=now) | unleased)

    def claim(self, row_id: int, *, batch_ms: int | None = None) -> datetime | None:
        """Claim the row for this job: its claim time, or None when it is not claimable (done
        already, taken by another worker, deleted). A job that processes several rows together
        passes `batch_ms`, the audio of all of them: each row's lease covers the whole batch."""
        duration_ms = self.model.objects.filter(id=row_id).values_list("duration_ms", flat=True).first()
        if batch_ms is not None:
            duration_ms = max(duration_ms or 0, batch_ms)
        claimed_at = timezone.now()
        claimed = (
            self.model.objects.filter(id=row_id)
            .filter(Q(status__in=self.waiting) | self.stale(claimed_at))
            .update(
                status=self.processing,
                attempts=F("attempts") + 1,
                claimed_at=claimed_at,
                next_attempt_at=claimed_at + timedelta(seconds=self.lease_s(duration_ms)),
            )
        )
        if claimed != 1:
            log.info("%s %s is not waiting to be processed; nothing to do", self.label, row_id)
            return None
        log.info("%s %s claimed for processing", self.label, row_id)
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
        for a retry after its back-off and re-raise `exc` (django-q2 records the failure)."""
        reason = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        if row.attempts >= settings.JOB_MAX_ATTEMPTS:
            self.fail(row, claimed_at, f"gave up after {row.attempts} attempts: {reason}", code=RejectionCode.GAVE_UP)
            return row
        retry_at = timezone.now() + timedelta(seconds=self.retry_delay_s(row.attempts))
        log.warning("%s %s attempt %s failed, will retry at %s: %s", self.label, row.id, row.attempts, retry_at, reason)
        with transaction.atomic():
            released = self.held(row.id, claimed_at).update(
                status=self.released,
                error=f"attempt {row.attempts} failed: {reason}"[:ERROR_MAX_CHARS],
                next_attempt_at=retry_at,
                enqueued_at=retry_at,  # handed to the scheduler for then
            )
            if released:
                self._schedule_retry(row.id, retry_at)
        raise exc

    def _schedule_retry(self, row_id: int, at: datetime) -> None:
        """A one-off django-q2 schedule that enqueues the row's job at `at` (kept in the
        database: a broker down then only delays it until the scheduler's next turn)."""
        from django_q.models import Schedule

        name = f"retry-{self.label}-{row_id}"
        options = {"task_name": f"{self.outbox.name}-{row_id}", "group": self.outbox.group, "ack_failure": True}
        request_id = stored_request_id() if self.request_scoped else ""  # the job's: its retry runs under it too
        kwargs = {"q_options": options, **({"request_id": request_id} if request_id else {})}
        Schedule.objects.filter(name=name).delete()
        Schedule.objects.create(
            name=name,
            func=self.task,
            args=repr(row_id),
            kwargs=repr(kwargs),
            schedule_type=Schedule.ONCE,
            repeats=-1,  # deleted once it ran
            next_run=at,
        )

    # --- queueing again --------------------------------------------------------------------

    def requeue(self, rows: QuerySet) -> list[int]:
        """Queue `rows` again from scratch (reprocess): rows being processed right now are
        skipped (unless their claim is stale). Returns the ids queued."""
        now = timezone.now()
        eligible = rows.filter(~Q(status=self.processing) | self.stale(now))
        with transaction.atomic():
            queued = list(eligible.select_for_update().values_list("id", flat=True))
            cleared = {self.code_field: ""} if self.code_field else {}
            self.model.objects.filter(id__in=queued).update(
                attempts=0, error="", claimed_at=None, **self.waiting_again(now), **cleared
            )
            self.enqueue_on_commit(queued)
        return queued

    def due(self, now: datetime) -> Q:
        """Waiting rows whose attempt has been due for JOB_ENQUEUE_GRACE_S (since created, when
        none was set) and whose job the broker never took, or lost."""
        since = now - timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S)
        due = Q(next_attempt_at__lte=since) | Q(next_attempt_at__isnull=True, created_at__lte=since)
        return Q(status=self.released) & due & self.outbox.unsent(now)

    def requeue_stale(self, *, now: datetime | None = None) -> int:
        """The sweep (a periodic schedule): release the claims past their lease (their workers
        died), then enqueue them and every row that is due but not in the broker. Returns how
        many jobs the broker took; a duplicate delivery is a no-op."""
        now = now or timezone.now()
        with transaction.atomic():
            stale_ids = list(
                self.model.objects.select_for_update().filter(self.stale(now)).values_list("id", flat=True)
            )
            self.model.objects.filter(id__in=stale_ids).filter(self.stale(now)).update(
                claimed_at=None, **self.waiting_again(now)
            )
        if stale_ids:
            log.warning("%s claims past their lease (workers gone): %s", self.label, stale_ids)
        due_ids = self.model.objects.filter(self.due(now)).exclude(id__in=stale_ids).order_by("id")
        return len(self.outbox.send([*stale_ids, *due_ids.values_list("id", flat=True)[:SWEEP_BATCH]]))


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
