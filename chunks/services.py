"""Writes of chunks: ingest an upload, queue it (again), delete it, apply audio retention.

The processing job itself is chunks/processing.py, geocoding chunks/places.py; the job
lifecycle (outbox, claim, retry, sweep) is the shared selective_speaker.jobs machinery.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from chunks.models import CHUNK_AUDIO_DIR, Chunk
from chunks.selectors import chunk_find_duplicate
from selective_speaker.audio_files import (
    StorageUnavailable,
    audio_extension,
    check_audio,
    check_upload_size,
    delete_stored_file,
    file_sha256,
    save_with_stored_audio,
    storage_errors,
)
from selective_speaker.jobs import SWEEP_BATCH, JobQueue, Outbox
from selective_speaker.orphan_files import sweep_model_orphans
from selective_speaker.request_id import stored_request_id

log = logging.getLogger(__name__)

CHUNK_JOBS = JobQueue(
    model=Chunk,
    task="chunks.tasks.process_chunk",
    label="chunk",
    waiting=(Chunk.Status.QUEUED, Chunk.Status.WAITING),
    released=Chunk.Status.QUEUED,
    processing=Chunk.Status.PROCESSING,
    failed=Chunk.Status.FAILED,
    request_scoped=True,
)
GEOCODING = Outbox(
    Chunk, "chunks.tasks.geocode_chunk", "geocode-chunk", "geocode_chunk", "geocode_enqueued_at", request_scoped=True
)
# Far enough from datetime.max that start_ts + the chunk's duration cannot overflow.
LATEST_START = datetime(9000, 1, 1, tzinfo=UTC)


# --- ingest -------------------------------------------------------------------------------


def chunk_ingest(
    *,
    user,
    audio_file: File,
    device_id: str,
    start_ts: datetime,
    end_ts: datetime | None = None,
    gps_lat: float | None = None,
    gps_lon: float | None = None,
) -> tuple[Chunk, bool]:
    """Store an uploaded chunk and queue its processing; (chunk, created).

    A repeat of an earlier upload (same device and start time, or the same audio bytes) returns
    the existing chunk with created=False and stores nothing. The audio is checked within a
    bounded cost (selective_speaker/audio_probe.py: what the container declares, the first and
    last half second); the job's full decode fails a chunk whose audio turns out bad after all, with
    the reason. The chunk keeps the request's id, under which its jobs run. Raises UploadTooLarge (413),
    ValidationError with field messages (400) or StorageUnavailable (503, retryable); in every
    one of those cases no row and no file are left behind. Once the row is committed the chunk
    is accepted — even when the commit's acknowledgement was lost — and its audio stays; a
    broker that cannot take its job then (down) delays it until the sweep sends it. A database
    that cannot say whether the row was committed gives OperationalError (503) and keeps the
    file, which the client's retry then finds ("already uploaded") or stores again.
    """
    check_upload_size(audio_file, max_bytes=settings.MAX_UPLOAD_MB * 1024 * 1024)
    _check_metadata(start_ts=start_ts, end_ts=end_ts, gps_lat=gps_lat, gps_lon=gps_lon)
    sha256 = file_sha256(audio_file)
    existing = chunk_find_duplicate(user=user, device_id=device_id, start_ts=start_ts, audio_sha256=sha256)
    if existing is not None:
        return existing, False
    # bounded: the worker's full decode fails a chunk whose audio turns out bad after all
    info = check_audio(audio_file, max_duration_ms=settings.MAX_CHUNK_SECONDS * 1000, bounded=True)
    chunk = Chunk(
        user=user,
        device_id=device_id,
        start_ts=start_ts,
        end_ts=end_ts or start_ts + timedelta(milliseconds=info.duration_ms),
        gps_lat=gps_lat,
        gps_lon=gps_lon,
        audio_sha256=sha256,
        audio_bytes=audio_file.size,
        duration_ms=info.duration_ms,
        codec=info.codec[:64],
        request_id=stored_request_id(),  # the upload's; its jobs log under it
    )
    chunk.full_clean(
        exclude=["user", "audio", "enrollment", "location"], validate_unique=False, validate_constraints=False
    )
    try:
        chunk.audio.save(f"audio.{audio_extension(info)}", audio_file, save=False)
    except storage_errors() as exc:
        log.exception("storing the audio of a chunk failed")
        raise StorageUnavailable(str(exc)) from exc
    try:
        save_with_stored_audio(chunk)  # a failure deletes the file only where the row surely is not
    except IntegrityError:
        # A concurrent upload of the same recording won the race: answer with its chunk.
        existing = chunk_find_duplicate(user=user, device_id=device_id, start_ts=start_ts, audio_sha256=sha256)
        if existing is None:
            raise
        return existing, False
    # Stored: from here on nothing deletes it. The jobs go to the broker after the commit.
    CHUNK_JOBS.enqueue_on_commit([chunk.id])
    if chunk.gps_lat is not None:
        chunk_enqueue_geocoding(chunk_ids=[chunk.id])
    return chunk, True


def _check_metadata(*, start_ts: datetime, end_ts: datetime | None, gps_lat, gps_lon) -> None:
    errors: dict[str, str] = {}
    if timezone.is_naive(start_ts):
        errors["start_ts"] = "Include a timezone."
    elif start_ts >= LATEST_START:
        errors["start_ts"] = "start_ts is out of range."
    if end_ts is not None:
        if timezone.is_naive(end_ts):
            errors["end_ts"] = "Include a timezone."
        elif "start_ts" not in errors and end_ts < start_ts:
            errors["end_ts"] = "end_ts must not be before start_ts."
    for name, value in (("gps_lat", gps_lat), ("gps_lon", gps_lon)):
        if value is not None and not math.isfinite(value):
            errors[name] = "A finite number is required."
    if (gps_lat is None) != (gps_lon is None):
        missing = "gps_lon" if gps_lon is None else "gps_lat"
        errors[missing] = "Give gps_lat and gps_lon together."
    if errors:
        raise ValidationError(errors)


# --- queueing again -----------------------------------------------------------------------


def chunk_reprocess(*, chunks: Iterable[Chunk]) -> int:
    """Queue chunks for processing again (staff action); the current result stays until the new
    one replaces it. Chunks being processed right now, and chunks whose audio is no longer kept,
    are skipped. Returns how many were queued."""
    ids = [chunk.id for chunk in chunks]
    return len(CHUNK_JOBS.requeue(Chunk.objects.filter(id__in=ids).exclude(audio="")))


def chunk_requeue_waiting(*, user) -> int:
    """Queue the user's chunks that were waiting for a voice enrollment; returns how many."""
    with transaction.atomic():
        waiting = list(
            Chunk.objects.select_for_update()
            .filter(user=user, status=Chunk.Status.WAITING)
            .values_list("id", flat=True)
        )
        Chunk.objects.filter(id__in=waiting, status=Chunk.Status.WAITING).update(
            **CHUNK_JOBS.waiting_again(timezone.now())
        )
        CHUNK_JOBS.enqueue_on_commit(waiting)
    if waiting:
        log.info("queued %s waiting chunks of user %s", len(waiting), user.pk)
    return len(waiting)


def chunk_requeue_stale(*, now: datetime | None = None) -> int:
    """The sweep (a periodic job): enqueue the processing of chunks whose worker died mid-job
    or whose job the broker never took, and the geocoding the broker never took; returns how
    many jobs were enqueued."""
    now = now or timezone.now()
    return CHUNK_JOBS.requeue_stale(now=now) + chunk_requeue_geocoding(now=now)


def chunk_requeue_geocoding(*, now: datetime) -> int:
    """Enqueue the geocoding of chunks with a position and no place yet whose job the broker
    never took (after JOB_ENQUEUE_GRACE_S) or took JOB_RESEND_AFTER_S ago (lost, or failed:
    the geocoder was down); returns how many were enqueued."""
    since = now - timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S)
    unplaced = Chunk.objects.filter(gps_lat__isnull=False, gps_lon__isnull=False, location__isnull=True)
    ids = unplaced.filter(GEOCODING.unsent(now), created_at__lte=since).order_by("id").values_list("id", flat=True)
    return len(GEOCODING.send(ids[:SWEEP_BATCH]))


# --- deletion and audio retention ---------------------------------------------------------
# A file is deleted before the row that points at it: if the store fails, the row is still
# there (503, retry) and nothing is orphaned. The post_delete receiver connected in
# chunks/apps.py catches rows deleted any other way (cascades from a user, admin bulk deletes).


def chunk_delete(*, chunk: Chunk) -> None:
    """Delete a chunk with its utterances and its audio file. StorageUnavailable when the file
    cannot be deleted (the chunk is then left as it was)."""
    delete_stored_file(chunk.audio)
    Chunk.objects.filter(id=chunk.id).delete()


def chunk_drop_audio(*, chunk: Chunk) -> bool:
    """Delete a chunk's raw audio, keeping its utterances; False if it had none left."""
    if not chunk.audio:
        return False
    delete_stored_file(chunk.audio)
    now = timezone.now()
    Chunk.objects.filter(id=chunk.id).update(audio="", audio_deleted_at=now)
    chunk.audio, chunk.audio_deleted_at = "", now
    return True


def chunk_retain_after_processing(chunk: Chunk) -> None:
    """Apply CHUNK_AUDIO_RETENTION=processed to a chunk its job just finished."""
    if settings.CHUNK_AUDIO_RETENTION != "processed" or chunk.status != Chunk.Status.DONE:
        return
    try:
        chunk_drop_audio(chunk=chunk)
    except StorageUnavailable:
        # The result is stored; the retention sweep deletes the audio later.
        log.exception("chunk %s: deleting its audio after processing failed", chunk.id)


def chunk_sweep_audio_retention(*, now: datetime | None = None) -> int:
    """Delete the raw audio that CHUNK_AUDIO_RETENTION no longer keeps (a periodic job):
    `processed` — of done chunks (catching up on failed deletions); `days` — of every chunk
    uploaded more than CHUNK_AUDIO_RETENTION_DAYS ago that is not still on its way. Returns how
    many files were deleted; a store failure stops the sweep until its next run."""
    policy = settings.CHUNK_AUDIO_RETENTION
    if policy == "processed":
        expired = Q(status=Chunk.Status.DONE)
    elif policy == "days":
        now = now or timezone.now()
        expired = Q(created_at__lt=now - timedelta(days=settings.CHUNK_AUDIO_RETENTION_DAYS)) & ~Q(
            status__in=[Chunk.Status.QUEUED, Chunk.Status.WAITING, Chunk.Status.PROCESSING]
        )
    else:
        return 0
    dropped = 0
    for chunk in Chunk.objects.exclude(audio="").filter(expired).only("id", "audio").iterator():
        dropped += chunk_drop_audio(chunk=chunk)
    if dropped:
        log.info("audio retention (%s): deleted the audio of %s chunks", policy, dropped)
    return dropped


def chunk_sweep_orphan_files(*, now: datetime | None = None) -> int:
    """Delete stored chunk files that no chunk points at, past AUDIO_ORPHAN_GRACE_S (a periodic
    job; selective_speaker/orphan_files.py says where they come from). Returns how many."""
    return sweep_model_orphans(Chunk, prefix=CHUNK_AUDIO_DIR, now=now)


def chunk_forget_utterance(*, chunk_id: int, start_ms: int, end_ms: int) -> None:
    """Remember the span of an utterance the owner is deleting (no text), so that a reprocess
    never brings it back, and count it out of the chunk's segments_count. Locks the chunk:
    call it inside the transaction that deletes the utterance, before the delete."""
    chunk = Chunk.objects.select_for_update().only("id", "suppressed_spans").filter(id=chunk_id).first()
    if chunk is None:
        return
    Chunk.objects.filter(id=chunk.id).update(
        suppressed_spans=[*chunk.suppressed_spans, [start_ms, end_ms]],
        segments_count=Greatest(F("segments_count") - 1, 0),
    )


def chunk_enqueue_geocoding(*, chunk_ids: Iterable[int]) -> None:
    """Queue the geocoding job of these chunks once the current transaction commits."""
    GEOCODING.send_on_commit(chunk_ids)
