"""Reads of chunks and locations."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.db import connections
from django.db.models import Case, Count, Max, Min, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from chunks.models import Chunk, Location


def chunk_list(*, user, status: str | None = None, device_id: str | None = None) -> QuerySet[Chunk]:
    chunks = Chunk.objects.filter(user=user).select_related("location")
    if status:
        chunks = chunks.filter(status=status)
    if device_id:
        chunks = chunks.filter(device_id=device_id)
    return chunks.order_by("-start_ts", "-id")


def chunk_get(*, user, chunk_id: int) -> Chunk | None:
    return chunk_list(user=user).filter(id=chunk_id).first()


def chunk_device_ids(*, user) -> list[str]:
    """The distinct device ids the user has uploaded chunks from, sorted.

    One probe of the (user, device_id, start_ts) index per device — a loose index scan written as
    a recursive query — instead of reading every chunk's entry as DISTINCT does (60–75 ms for
    a year of chunks on PostgreSQL, which has no skip scan before version 18)."""
    connection = connections[Chunk.objects.db]
    quote, fields = connection.ops.quote_name, Chunk._meta
    table, user_id, device_id = (
        quote(name) for name in (fields.db_table, fields.get_field("user").column, fields.get_field("device_id").column)
    )
    next_device = f"SELECT MIN({device_id}) FROM {table} WHERE {user_id} = %s"
    sql = (
        f"WITH RECURSIVE devices(device) AS ({next_device} "
        f"UNION ALL SELECT ({next_device} AND {device_id} > devices.device) FROM devices WHERE device IS NOT NULL) "
        "SELECT device FROM devices WHERE device IS NOT NULL ORDER BY device"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk])
        return [device_id for (device_id,) in cursor.fetchall()]


# Chunks whose segments are not on the timeline yet, and chunks that ended without any.
CHUNK_PENDING_STATUSES = (Chunk.Status.QUEUED, Chunk.Status.WAITING, Chunk.Status.PROCESSING)
CHUNK_UNSUCCESSFUL_STATUSES = (Chunk.Status.FAILED, Chunk.Status.INDETERMINATE)


def chunk_in_progress(*, user, unsuccessful_since: datetime | None = None) -> QuerySet[Chunk]:
    """The user's chunks still on their way to the timeline (queued, waiting, processing) and,
    uploaded at or after `unsuccessful_since` (all when None), those that failed or stayed
    indeterminate; newest recording first."""
    unsuccessful = Q(status__in=CHUNK_UNSUCCESSFUL_STATUSES)
    if unsuccessful_since is not None:
        unsuccessful &= Q(created_at__gte=unsuccessful_since)
    return (
        Chunk.objects.filter(user=user)
        .filter(Q(status__in=CHUNK_PENDING_STATUSES) | unsuccessful)
        .defer("decision", "timings")
        .order_by("-start_ts", "-id")
    )


def chunk_find_duplicate(*, user, device_id: str, start_ts: datetime, audio_sha256: str) -> Chunk | None:
    """An earlier upload of the same recording: same device and start time, or same bytes."""
    return (
        Chunk.objects.filter(user=user)
        .filter(Q(device_id=device_id, start_ts=start_ts) | Q(audio_sha256=audio_sha256))
        .select_related("location")
        .order_by("id")
        .first()
    )


def location_cached(*, lat_round, lon_round) -> Location | None:
    return Location.objects.filter(lat_round=lat_round, lon_round=lon_round).first()


def chunk_with_audio(*, user) -> QuerySet[Chunk]:
    """The user's chunks whose raw audio is still stored (they can be processed again)."""
    return Chunk.objects.filter(user=user).exclude(audio="").only("id", "audio", "status")


# --- one day of recordings, and whether anything changed (the live timeline) ----------------


class Recording(NamedTuple):
    """What explains one recording on the timeline (chunk_day_recordings): a Chunk's fields."""

    id: int
    device_id: str
    start_ts: datetime
    end_ts: datetime
    duration_ms: int
    status: str
    error: str
    segments_count: int


def chunk_day_recordings(*, user, since: datetime, until: datetime, device_id: str | None = None) -> list[Recording]:
    """The user's recordings starting in [since, until), oldest first, with what explains each
    one (status, error, length, utterances kept) and nothing heavier: plain rows, no model
    instances (a busy day has a thousand recordings: 20 ms of Chunk objects)."""
    chunks = Chunk.objects.filter(user=user, start_ts__gte=since, start_ts__lt=until)
    if device_id:
        chunks = chunks.filter(device_id=device_id)
    return [Recording._make(row) for row in chunks.order_by("start_ts", "id").values_list(*Recording._fields)]


def chunk_changes_stamp(
    *, user, since: datetime | None = None, until: datetime | None = None, unsuccessful_since: datetime | None = None
) -> tuple:
    """A value that changes whenever the user's recordings starting in [since, until) or those
    chunk_in_progress lists change: one uploaded, claimed, processed, failed, deleted, an
    utterance of one deleted. The timeline's live refresh asks it every few seconds
    (pages/views_timeline.py makes it an ETag): one aggregate over the day's rows and one over the
    panel's, each on its own index (an OR of the two would read all of the user's chunks)."""
    per_status = {status: Count("id", filter=Q(status=status)) for status in Chunk.Status.values}
    aggregates = dict(
        count=Count("id"),
        last_id=Max("id"),
        utterances=Sum("segments_count"),
        claimed=Max("claimed_at"),
        processed=Max("processed_at"),
        next_attempt=Max("next_attempt_at"),
        **per_status,
    )
    panel = chunk_in_progress(user=user, unsuccessful_since=unsuccessful_since).order_by().aggregate(**aggregates)
    if since is None or until is None:
        return (tuple(panel.values()),)
    day = Chunk.objects.filter(user=user, start_ts__gte=since, start_ts__lt=until).aggregate(**aggregates)
    return tuple(panel.values()), tuple(day.values())


# --- the job queue, for operators (manage.py status, /metrics: operations/) -----------------

# Statuses a chunk's job has ended in with a result (its audit record and timings are stored).
CHUNK_PROCESSED_STATUSES = (Chunk.Status.DONE, Chunk.Status.INDETERMINATE)


def chunk_status_counts(*, statuses: tuple[str, ...] | None = None) -> dict[str, int]:
    """How many chunks are in each of `statuses` (every status when None), 0 when none (one
    GROUP BY over those statuses only)."""
    statuses = tuple(Chunk.Status.values) if statuses is None else statuses
    rows = Chunk.objects.filter(status__in=statuses).order_by().values_list("status").annotate(count=Count("id"))
    counts = dict(rows)
    return {status: counts.get(status, 0) for status in statuses}


def chunk_oldest_pending() -> dict[str, datetime]:
    """The upload time of the oldest chunk in each pending status (queued, waiting, processing)
    that has any; a status without chunks is absent."""
    rows = (
        Chunk.objects.filter(status__in=CHUNK_PENDING_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(oldest=Min("created_at"))
    )
    return dict(rows)


def chunk_stuck(*, now: datetime) -> QuerySet[Chunk]:
    """Chunks `processing` under a claim past its lease: the worker that claimed them is gone
    (the one-minute sweep takes them over). The lease rule is the job machinery's own."""
    from chunks.services import CHUNK_JOBS  # chunks.services imports this module

    return Chunk.objects.filter(CHUNK_JOBS.stale(now)).order_by("claimed_at", "id")


# A failed chunk's reason, by the start of the error the job stored (selective_speaker/jobs.py
# writes the first two, selective_speaker/audio_files.py the third): gave_up = attempts used up
# on transient errors or workers killed; audio_missing = the stored file is gone; unprocessable
# = any other permanent error (audio that cannot be decoded, a model that is not there).
CHUNK_FAILURE_PREFIXES = (
    ("gave up after", "gave_up"),
    ("processing did not finish", "gave_up"),
    ("the audio file is missing", "audio_missing"),
)
CHUNK_FAILURE_OTHER = "unprocessable"


def chunk_failure_counts() -> dict[str, int]:
    """Failed chunks by reason (CHUNK_FAILURE_PREFIXES; every reason, 0 when none)."""
    reason = Case(
        *(When(error__startswith=prefix, then=Value(name)) for prefix, name in CHUNK_FAILURE_PREFIXES),
        default=Value(CHUNK_FAILURE_OTHER),
    )
    rows = (
        Chunk.objects.filter(status=Chunk.Status.FAILED)
        .order_by()
        .annotate(reason=reason)
        .values_list("reason")
        .annotate(count=Count("id"))
    )
    counts = dict(rows)
    names = dict.fromkeys([name for _, name in CHUNK_FAILURE_PREFIXES] + [CHUNK_FAILURE_OTHER], 0)
    return {name: counts.get(name, 0) for name in names}


def chunk_processed_since(*, since: datetime) -> QuerySet:
    """(created_at, claimed_at, processed_at, duration_ms, engine_s) of the chunks processed
    (done or indeterminate) whose last claim began at or after `since` — the (status, claimed_at)
    index. Queue wait = claimed_at − created_at (upload to the claim that finished it); engine_s =
    the engine's time for this chunk (`timings.total`: its own share of a batched recogniser pass),
    None in records older than that field, where processed_at − claimed_at is what there is (a
    batch's claim covers all its chunks, so that overstates a batched chunk's time)."""
    return (
        Chunk.objects.filter(status__in=CHUNK_PROCESSED_STATUSES, claimed_at__gte=since, processed_at__isnull=False)
        .order_by()
        .values_list("created_at", "claimed_at", "processed_at", "duration_ms", "timings__total")
    )


def chunk_uploaded_count(*, since: datetime) -> int:
    """How many chunks were uploaded (accepted: a row exists) at or after `since`."""
    return Chunk.objects.filter(created_at__gte=since).count()


# --- batching short chunks (chunks/processing.py) ---------------------------------------------


def chunk_batch_mates(*, chunk_id: int, max_ms: int) -> list[tuple[int, int]]:
    """(id, duration_ms) of the chunk, then of its owner's other queued chunks that are due (no
    retry back-off pending), oldest first, each taken while the audio in all stays within `max_ms`:
    what the chunk's job may process in one pass. Only chunks never attempted and with their audio
    join. Just the chunk when it alone fills the budget; [] when it does not exist."""
    head = Chunk.objects.filter(id=chunk_id).values_list("id", "duration_ms").first()
    if head is None:
        return []
    batch, total = [head], head[1]
    if total >= max_ms:
        return batch
    owner = Chunk.objects.filter(id=chunk_id).values("user_id")
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
    candidates = (
        Chunk.objects.filter(user_id=Subquery(owner), status=Chunk.Status.QUEUED, duration_ms__lte=max_ms - total)
        .filter(due, attempts=0)  # one that failed before is retried alone: it cannot take others down
        .exclude(id=chunk_id)
        .exclude(audio="")
        .order_by(Coalesce("next_attempt_at", "created_at"), "id")
        .values_list("id", "duration_ms")
    )
    for mate_id, duration_ms in candidates.iterator():
        if total + duration_ms <= max_ms:
            batch.append((mate_id, duration_ms))
            total += duration_ms
        if total >= max_ms:
            break
    return batch
