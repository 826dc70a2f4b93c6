"""Writes of chunks: ingest an upload, process it, geocode it, queue it again.

Jobs are idempotent and retriable. A job claims its chunk with a conditional UPDATE and checks
that exactly one row changed; the result replaces any earlier one in a single transaction, and
only while the job still holds its claim. Bad audio fails fast with a readable reason; other
errors put the chunk back in the queue and re-raise so that django-q2 delivers the job again,
at most JOB_MAX_ATTEMPTS times.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from chunks.geocoders import geocoder_from_settings, geocoder_name
from chunks.models import Chunk, Location
from chunks.selectors import chunk_find_duplicate, location_cached
from enrollment.selectors import ActiveVoiceprint, enrollment_active_voiceprint, enrollment_ready_exists
from selective_speaker.audio_files import (
    StorageUnavailable,
    audio_extension,
    check_audio,
    check_upload_size,
    delete_stored_file,
    file_sha256,
    read_stored_audio,
    storage_errors,
)
from selective_speaker.json_values import json_safe
from selective_speaker.speech.types import ChunkResult, ChunkStatus, SpeechError
from selective_speaker.speech_config import speech_config, speech_engine
from utterances.models import Segment

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 1000
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
    the existing chunk with created=False and stores nothing. Raises UploadTooLarge (413),
    ValidationError with field messages (400) or StorageUnavailable (503, retryable); in every
    one of those cases no row and no file are left behind.
    """
    check_upload_size(audio_file, max_bytes=settings.MAX_UPLOAD_MB * 1024 * 1024)
    _check_metadata(start_ts=start_ts, end_ts=end_ts, gps_lat=gps_lat, gps_lon=gps_lon)
    sha256 = file_sha256(audio_file)
    existing = chunk_find_duplicate(user=user, device_id=device_id, start_ts=start_ts, audio_sha256=sha256)
    if existing is not None:
        return existing, False
    info = check_audio(audio_file, max_duration_ms=settings.MAX_CHUNK_SECONDS * 1000)
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
        with transaction.atomic():
            chunk.save()
            transaction.on_commit(functools.partial(_enqueue_processing, chunk.id), robust=True)
            if chunk.gps_lat is not None:
                transaction.on_commit(functools.partial(_enqueue_geocoding, chunk.id), robust=True)
    except IntegrityError:
        # A concurrent upload of the same recording won the race: answer with its chunk.
        chunk.audio.delete(save=False)
        existing = chunk_find_duplicate(user=user, device_id=device_id, start_ts=start_ts, audio_sha256=sha256)
        if existing is None:
            raise
        return existing, False
    except BaseException:
        chunk.audio.delete(save=False)
        raise
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


# --- processing ---------------------------------------------------------------------------


def chunk_process(*, chunk_id: int) -> Chunk | None:
    """Run the speech engine on a chunk and store the owner's segments.

    Returns the chunk, or None when it was not claimable (done already, taken by another
    worker, deleted): a duplicate delivery of the job does nothing.
    """
    claimed_at = timezone.now()
    claimed = (
        Chunk.objects.filter(id=chunk_id)
        .filter(Q(status__in=[Chunk.Status.QUEUED, Chunk.Status.WAITING]) | _stale_processing(claimed_at))
        .update(status=Chunk.Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=claimed_at)
    )
    if claimed != 1:
        log.info("chunk %s is not waiting to be processed; nothing to do", chunk_id)
        return None
    chunk = Chunk.objects.select_related("user").get(id=chunk_id)
    if chunk.attempts > settings.JOB_MAX_ATTEMPTS:
        # Earlier attempts died without reporting (worker killed, timeout).
        _chunk_finish_failed(chunk, claimed_at, f"processing did not finish after {chunk.attempts - 1} attempts")
        return chunk
    active = enrollment_active_voiceprint(user=chunk.user)
    if active is None:
        _chunk_wait(chunk, claimed_at)
        return chunk
    try:
        config = speech_config()
        audio = read_stored_audio(chunk.audio, max_duration_ms=config.max_duration_ms)
        extra = {"negatives": active.negatives} if len(active.negatives) else {}
        if config.strategy == "anchored":
            extra["enrollment_audio"] = read_stored_audio(
                active.newest.audio, max_duration_ms=config.enroll_max_duration_ms
            )
        result = speech_engine().process_chunk(audio, voiceprint=active.vector, **extra)
        _chunk_store_result(chunk, claimed_at, result, active)
        _chunk_retain_after_processing(chunk)
    except SpeechError as exc:
        if not exc.permanent:
            return _chunk_retry_or_fail(chunk, claimed_at, exc)
        _chunk_finish_failed(chunk, claimed_at, exc.reason)
    except Exception as exc:
        return _chunk_retry_or_fail(chunk, claimed_at, exc)
    return chunk


def _stale_processing(now: datetime) -> Q:
    """A `processing` claim older than a job may run: its worker is gone."""
    return Q(status=Chunk.Status.PROCESSING, claimed_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S))


def _held(chunk: Chunk, claimed_at: datetime):
    """The chunk, as long as this job still holds its claim."""
    return Chunk.objects.filter(id=chunk.id, status=Chunk.Status.PROCESSING, claimed_at=claimed_at)


def _chunk_wait(chunk: Chunk, claimed_at: datetime) -> None:
    # Waiting is not an attempt: give the claim's count back.
    _held(chunk, claimed_at).update(status=Chunk.Status.WAITING, attempts=F("attempts") - 1, claimed_at=None)
    chunk.status = Chunk.Status.WAITING
    chunk.attempts -= 1
    # An enrollment that became ready meanwhile may have requeued the user's waiting chunks
    # just before this one joined them.
    if enrollment_ready_exists(user=chunk.user):
        chunk_requeue_waiting(user=chunk.user)


def _chunk_store_result(chunk: Chunk, claimed_at: datetime, result: ChunkResult, active: ActiveVoiceprint) -> None:
    status = Chunk.Status.DONE if result.status == ChunkStatus.DONE else Chunk.Status.INDETERMINATE
    decision = json_safe(
        {
            **result.decision,
            "reason": result.reason,
            "enrollment_ids": [e.id for e in active.enrollments],
        }
    )
    segments = [
        Segment(
            chunk_id=chunk.id,
            user_id=chunk.user_id,
            device_id=chunk.device_id,
            start_ts=chunk.start_ts + timedelta(milliseconds=s.start_ms),
            end_ts=chunk.start_ts + timedelta(milliseconds=s.end_ms),
            start_ms=s.start_ms,
            end_ms=s.end_ms,
            text=s.text,
            words=json_safe(s.as_dict()["words"]),
            confidence=json_safe(s.confidence) or 0.0,
            owner_similarity=json_safe(s.owner_similarity),
            uncertain=bool(s.uncertain),
        )
        for s in result.segments
        if not _suppressed(s.start_ms, s.end_ms, chunk.suppressed_spans)
    ]
    fields = {
        "status": status,
        "error": result.reason if status == Chunk.Status.INDETERMINATE else "",
        "decision": decision,
        "timings": json_safe(result.timings),
        "segments_count": len(segments),
        "owner_speech_ms": result.owner_speech_ms,
        "enrollment": active.newest,
        "processed_at": timezone.now(),
    }
    from chunks.result_changes import result_change
    from enrollment.review_services import decision_reviews_replace

    with transaction.atomic():
        decision["change"] = result_change(chunk=chunk, segments=segments)  # counts, for staff
        if _held(chunk, claimed_at).update(**fields) != 1:
            log.warning("chunk %s was taken over by another job; its result is dropped", chunk.id)
            return
        decision_reviews_replace(chunk=chunk, decision=decision)  # uncertain regions → review list
        Segment.objects.filter(chunk_id=chunk.id).delete()
        Segment.objects.bulk_create(segments)
    for name, value in fields.items():
        setattr(chunk, name, value)


def _suppressed(start_ms: int, end_ms: int, spans: list) -> bool:
    """Whether a new segment overlaps one the owner deleted from an earlier result."""
    return any(start_ms < s_end and s_start < end_ms for s_start, s_end in spans)


def _chunk_finish_failed(chunk: Chunk, claimed_at: datetime, reason: str) -> None:
    reason = reason[:ERROR_MAX_CHARS]
    now = timezone.now()
    _held(chunk, claimed_at).update(status=Chunk.Status.FAILED, error=reason, processed_at=now)
    chunk.status, chunk.error, chunk.processed_at = Chunk.Status.FAILED, reason, now
    log.warning("chunk %s failed: %s", chunk.id, reason)


def _chunk_retry_or_fail(chunk: Chunk, claimed_at: datetime, exc: Exception) -> Chunk:
    """Fail for good after the last attempt; otherwise release the claim and re-raise for a retry."""
    reason = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    if chunk.attempts >= settings.JOB_MAX_ATTEMPTS:
        _chunk_finish_failed(chunk, claimed_at, f"gave up after {chunk.attempts} attempts: {reason}")
        return chunk
    log.warning("chunk %s attempt %s failed, will retry: %s", chunk.id, chunk.attempts, reason)
    _held(chunk, claimed_at).update(
        status=Chunk.Status.QUEUED, error=f"attempt {chunk.attempts} failed: {reason}"[:ERROR_MAX_CHARS]
    )
    raise exc


# --- queueing again -----------------------------------------------------------------------


def chunk_reprocess(*, chunks: Iterable[Chunk]) -> int:
    """Queue chunks for processing again (staff action); the current result stays until the new
    one replaces it. Chunks being processed right now, and chunks whose audio is no longer kept,
    are skipped. Returns how many were queued."""
    ids = [chunk.id for chunk in chunks]
    now = timezone.now()
    eligible = (
        Chunk.objects.filter(id__in=ids)
        .exclude(audio="")
        .filter(~Q(status=Chunk.Status.PROCESSING) | _stale_processing(now))
    )
    with transaction.atomic():
        queued = list(eligible.select_for_update().values_list("id", flat=True))
        Chunk.objects.filter(id__in=queued).update(status=Chunk.Status.QUEUED, attempts=0, error="", claimed_at=None)
        for chunk_id in queued:
            transaction.on_commit(functools.partial(_enqueue_processing, chunk_id), robust=True)
    return len(queued)


def chunk_requeue_waiting(*, user) -> int:
    """Queue the user's chunks that were waiting for a voice enrollment; returns how many."""
    with transaction.atomic():
        waiting = list(
            Chunk.objects.select_for_update()
            .filter(user=user, status=Chunk.Status.WAITING)
            .values_list("id", flat=True)
        )
        Chunk.objects.filter(id__in=waiting, status=Chunk.Status.WAITING).update(status=Chunk.Status.QUEUED)
        for chunk_id in waiting:
            transaction.on_commit(functools.partial(_enqueue_processing, chunk_id), robust=True)
    if waiting:
        log.info("queued %s waiting chunks of user %s", len(waiting), user.pk)
    return len(waiting)


def chunk_requeue_stale(*, now: datetime | None = None) -> int:
    """Enqueue again, for a periodic schedule: chunks whose worker died mid-job, and chunks
    released for a retry that never came (brokers without redelivery, such as Redis, drop a
    failed job). Clearing `claimed_at` makes each release swept once; a duplicate delivery is
    a no-op. Returns how many were enqueued."""
    now = now or timezone.now()
    stale = _stale_processing(now) | Q(
        status=Chunk.Status.QUEUED, claimed_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    )
    with transaction.atomic():
        stale_ids = list(Chunk.objects.select_for_update().filter(stale).values_list("id", flat=True))
        Chunk.objects.filter(id__in=stale_ids).filter(stale).update(status=Chunk.Status.QUEUED, claimed_at=None)
        for chunk_id in stale_ids:
            transaction.on_commit(functools.partial(_enqueue_processing, chunk_id), robust=True)
    return len(stale_ids)


# --- deletion and audio retention ---------------------------------------------------------
# A file is deleted before the row that points at it: if the store fails, the row is still
# there (503, retry) and nothing is orphaned. The post_delete receivers in chunks/signals.py
# catch rows deleted any other way (cascades from a user, admin bulk deletes).


def chunk_delete(*, chunk: Chunk) -> None:
    """Delete a chunk with its segments and its audio file. StorageUnavailable when the file
    cannot be deleted (the chunk is then left as it was)."""
    delete_stored_file(chunk.audio)
    Chunk.objects.filter(id=chunk.id).delete()


def chunk_drop_audio(*, chunk: Chunk) -> bool:
    """Delete a chunk's raw audio, keeping its segments; False if it had none left."""
    if not chunk.audio:
        return False
    delete_stored_file(chunk.audio)
    now = timezone.now()
    Chunk.objects.filter(id=chunk.id).update(audio="", audio_deleted_at=now)
    chunk.audio, chunk.audio_deleted_at = "", now
    return True


def _chunk_retain_after_processing(chunk: Chunk) -> None:
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


# --- places -------------------------------------------------------------------------------


def chunk_geocode(*, chunk: Chunk) -> Location | None:
    """Attach the place of the chunk's GPS position (None without a position)."""
    if chunk.gps_lat is None or chunk.gps_lon is None:
        return None
    location = location_for(lat=chunk.gps_lat, lon=chunk.gps_lon)
    chunk.location = location
    chunk.save(update_fields=["location"])
    return location


def chunk_regeocode(*, chunks: Iterable[Chunk]) -> int:
    """Queue geocoding again for chunks with a position (staff action); returns how many."""
    ids = [chunk.id for chunk in chunks if chunk.gps_lat is not None and chunk.gps_lon is not None]
    for chunk_id in ids:
        transaction.on_commit(functools.partial(_enqueue_geocoding, chunk_id), robust=True)
    return len(ids)


def location_for(*, lat: float, lon: float) -> Location:
    """The place at (lat, lon), from the cache keyed by coordinates rounded to
    GEOCODER_ROUND_DECIMALS, or from the geocoder (asked for the rounded point, so it learns
    no more than the cache keeps). A place not found is cached too, with an empty address."""
    lat_round, lon_round = _rounded(lat), _rounded(lon)
    cached = location_cached(lat_round=lat_round, lon_round=lon_round)
    if cached is not None:
        return cached
    found = geocoder_from_settings()((float(lat_round), float(lon_round)), exactly_one=True)
    raw = json_safe(found.raw) if found is not None else {}
    city, country = _place_parts(raw)
    # get_or_create settles a race between two workers on the unique (lat_round, lon_round).
    location, _ = Location.objects.get_or_create(
        lat_round=lat_round,
        lon_round=lon_round,
        defaults={
            "address": (found.address if found is not None else "")[:512],
            "city": city[:255],
            "country": country[:255],
            "raw": raw,
            "provider": geocoder_name(),
        },
    )
    return location


def _rounded(value: float) -> Decimal:
    step = Decimal(1).scaleb(-settings.GEOCODER_ROUND_DECIMALS)
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def _place_parts(raw: dict) -> tuple[str, str]:
    """(city, country) from the offline record or a Nominatim-style `address` block."""
    address = raw.get("address") if isinstance(raw.get("address"), dict) else raw
    city = next((address[key] for key in ("city", "town", "village", "hamlet", "municipality") if address.get(key)), "")
    return str(city), str(address.get("country") or "")


# --- enqueueing (only after the transaction that made the work commits) -------------------
# Callbacks are `robust`: a broker outage is logged and cannot undo the committed upload; the
# chunk stays `queued` for a reprocess or a sweep.


def _enqueue_processing(chunk_id: int) -> None:
    async_task("chunks.tasks.process_chunk", chunk_id, task_name=f"process-chunk-{chunk_id}", group="process_chunk")


def _enqueue_geocoding(chunk_id: int) -> None:
    async_task("chunks.tasks.geocode_chunk", chunk_id, task_name=f"geocode-chunk-{chunk_id}", group="geocode_chunk")
