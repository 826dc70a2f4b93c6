"""Writes of enrollments: take a recording of the owner, turn it into a voiceprint.

Same job rules as chunks: a conditional UPDATE claims the row, a bad recording is rejected with
a reason the owner can act on, other errors retry a bounded number of times. When a voiceprint
becomes ready, the owner's chunks that were waiting for one are queued. Staff verdicts on the
engine's uncertain decisions (decision_review_judge) feed the voiceprint and its negatives.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from chunks.services import chunk_reprocess, chunk_requeue_waiting
from enrollment.models import DecisionReview, Enrollment, VoiceSample
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
from selective_speaker.speech.types import SAMPLE_RATE, SpeechError
from selective_speaker.speech_config import speech_config, speech_engine

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 1000


def enrollment_create(*, user, audio_file: File, phrase_text: str = "") -> Enrollment:
    """Store an enrollment recording and queue the voiceprint job.

    Raises UploadTooLarge (413), ValidationError on `audio` (400) or StorageUnavailable (503);
    nothing is stored in those cases.
    """
    check_upload_size(audio_file, max_bytes=settings.MAX_UPLOAD_MB * 1024 * 1024)
    info = check_audio(audio_file, max_duration_ms=settings.MAX_ENROLL_SECONDS * 1000)
    enrollment = Enrollment(
        user=user,
        audio_sha256=file_sha256(audio_file),
        phrase_text=(phrase_text or "").strip(),
        duration_ms=info.duration_ms,
    )
    try:
        enrollment.audio.save(f"audio.{audio_extension(info)}", audio_file, save=False)
    except storage_errors() as exc:
        log.exception("storing the audio of an enrollment failed")
        raise StorageUnavailable(str(exc)) from exc
    try:
        with transaction.atomic():
            enrollment.save()
            transaction.on_commit(functools.partial(_enqueue_processing, enrollment.id), robust=True)
    except BaseException:
        enrollment.audio.delete(save=False)
        raise
    return enrollment


def enrollment_process(*, enrollment: Enrollment) -> Enrollment | None:
    """Compute the voiceprint of a pending enrollment; None if it was not claimable."""
    claimed_at = timezone.now()
    claimed = (
        Enrollment.objects.filter(id=enrollment.id)
        .filter(Q(status=Enrollment.Status.PENDING) | _stale_processing(claimed_at))
        .update(status=Enrollment.Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=claimed_at)
    )
    if claimed != 1:
        log.info("enrollment %s is not pending; nothing to do", enrollment.id)
        return None
    enrollment.refresh_from_db()
    if enrollment.attempts > settings.JOB_MAX_ATTEMPTS:
        _reject(enrollment, claimed_at, f"processing did not finish after {enrollment.attempts - 1} attempts")
        return enrollment
    try:
        audio = read_stored_audio(enrollment.audio, max_duration_ms=speech_config().enroll_max_duration_ms)
        result = speech_engine().enroll(audio, phrase_text=enrollment.phrase_text or None)
    except SpeechError as exc:
        if not exc.permanent:
            return _retry_or_reject(enrollment, claimed_at, exc)
        _reject(enrollment, claimed_at, exc.reason)
        return enrollment
    except Exception as exc:
        return _retry_or_reject(enrollment, claimed_at, exc)
    fields = {
        "status": Enrollment.Status.READY,
        "error": "",
        "voiceprint": Enrollment.voiceprint_bytes(result.voiceprint),
        "voiceprint_dim": int(result.voiceprint.size),
        "speech_ms": result.speech_ms,
        "window_count": result.window_count,
        "consistency": json_safe(result.consistency),
        "transcript": result.transcript,
        "edit_distance": result.edit_distance,
        "model_id": result.model_id[:128],
        "duration_ms": result.duration_ms,
        "timings": json_safe(result.timings),
        "processed_at": timezone.now(),
    }
    with transaction.atomic():
        if _held(enrollment, claimed_at).update(**fields) != 1:
            log.warning("enrollment %s was taken over by another job; its result is dropped", enrollment.id)
            return None
        transaction.on_commit(functools.partial(chunk_requeue_waiting, user=enrollment.user), robust=True)
    for name, value in fields.items():
        setattr(enrollment, name, value)
    if settings.ENROLLMENT_AUDIO_RETENTION == "drop":
        enrollment_drop_audio(enrollment=enrollment)
    return enrollment


def enrollment_drop_audio(*, enrollment: Enrollment) -> bool:
    """Delete an enrollment's recording, keeping its voiceprint; False if it had none left.
    A store failure is logged and leaves the recording (and its row) as they were."""
    if not enrollment.audio:
        return False
    try:
        delete_stored_file(enrollment.audio)
    except StorageUnavailable:
        log.exception("enrollment %s: deleting its recording failed", enrollment.id)
        return False
    Enrollment.objects.filter(id=enrollment.id).update(audio="")
    enrollment.audio = ""
    return True


def enrollment_delete(*, enrollment: Enrollment) -> None:
    """Delete an enrollment and its recording (StorageUnavailable leaves both)."""
    delete_stored_file(enrollment.audio)
    Enrollment.objects.filter(id=enrollment.id).delete()


def enrollment_recompute_voiceprint(*, enrollment: Enrollment) -> bool:
    """Queue the voiceprint job again (e.g. after a model change); False if the enrollment is
    being processed right now. ValidationError when its recording is no longer kept."""
    if not enrollment.audio:
        raise ValidationError("the enrollment's recording is no longer kept; record a new enrollment")
    now = timezone.now()
    with transaction.atomic():
        queued = (
            Enrollment.objects.filter(id=enrollment.id)
            .filter(~Q(status=Enrollment.Status.PROCESSING) | _stale_processing(now))
            .update(status=Enrollment.Status.PENDING, attempts=0, error="", claimed_at=None)
        )
        if queued == 1:
            transaction.on_commit(functools.partial(_enqueue_processing, enrollment.id), robust=True)
    if queued == 1:
        enrollment.status, enrollment.attempts, enrollment.error = Enrollment.Status.PENDING, 0, ""
    return queued == 1


def enrollment_requeue_stale(*, now: datetime | None = None) -> int:
    """Enqueue again, for a periodic schedule: enrollments whose worker died mid-job, and
    enrollments released for a retry that never came (brokers without redelivery, such as
    Redis, drop a failed job). Clearing `claimed_at` makes each release swept once; a duplicate
    delivery is a no-op. Returns how many were enqueued."""
    now = now or timezone.now()
    stale = _stale_processing(now) | Q(
        status=Enrollment.Status.PENDING, claimed_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    )
    with transaction.atomic():
        stale_ids = list(Enrollment.objects.select_for_update().filter(stale).values_list("id", flat=True))
        Enrollment.objects.filter(id__in=stale_ids).filter(stale).update(
            status=Enrollment.Status.PENDING, claimed_at=None
        )
        for enrollment_id in stale_ids:
            transaction.on_commit(functools.partial(_enqueue_processing, enrollment_id), robust=True)
    return len(stale_ids)


def _stale_processing(now: datetime) -> Q:
    return Q(status=Enrollment.Status.PROCESSING, claimed_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S))


def _held(enrollment: Enrollment, claimed_at: datetime):
    return Enrollment.objects.filter(id=enrollment.id, status=Enrollment.Status.PROCESSING, claimed_at=claimed_at)


def _reject(enrollment: Enrollment, claimed_at: datetime, reason: str) -> None:
    reason = reason[:ERROR_MAX_CHARS]
    now = timezone.now()
    _held(enrollment, claimed_at).update(status=Enrollment.Status.REJECTED, error=reason, processed_at=now)
    enrollment.status, enrollment.error, enrollment.processed_at = Enrollment.Status.REJECTED, reason, now
    log.info("enrollment %s rejected: %s", enrollment.id, reason)


def _retry_or_reject(enrollment: Enrollment, claimed_at: datetime, exc: Exception) -> Enrollment:
    reason = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    if enrollment.attempts >= settings.JOB_MAX_ATTEMPTS:
        _reject(enrollment, claimed_at, f"gave up after {enrollment.attempts} attempts: {reason}")
        return enrollment
    log.warning("enrollment %s attempt %s failed, will retry: %s", enrollment.id, enrollment.attempts, reason)
    _held(enrollment, claimed_at).update(
        status=Enrollment.Status.PENDING, error=f"attempt {enrollment.attempts} failed: {reason}"[:ERROR_MAX_CHARS]
    )
    raise exc


def _enqueue_processing(enrollment_id: int) -> None:
    async_task(
        "enrollment.tasks.process_enrollment",
        enrollment_id,
        task_name=f"process-enrollment-{enrollment_id}",
        group="process_enrollment",
    )


# --- staff verdicts on uncertain owner decisions ---------------------------------------------


@dataclass(frozen=True)
class ReviewOutcome:
    """What judging review items did, for the admin's message."""

    marked: int  # items that now carry the verdict
    samples: int  # voice samples stored or turned to the verdict's kind
    without_sample: int  # items judged, but no sample: audio no longer kept or unreadable
    chunks_queued: int  # chunks queued for reprocessing with the new voiceprint
    chunks_skipped: int  # chunks not queued: being processed now, or audio no longer kept


def decision_review_judge(*, reviews: Iterable[DecisionReview], verdict: str, reviewed_by) -> ReviewOutcome:
    """Record staff's verdict on review items, learn from their audio, reprocess their chunks.

    `owner`: the region's embedding becomes an owner sample, which joins the user's active
    voiceprint (enrollment.selectors.enrollment_active_voiceprint bounds its weight);
    `not_owner`: an `other` sample, passed to the engine as a negative. A review that has a
    sample already only turns its kind (no audio is read again). The embedding is the engine's
    embedder on the region's audio, computed here, synchronously: the chunk is decoded once
    for all of its regions and a region embeds in 50–300 ms on CPU, so a page of verdicts
    answers in seconds with what actually happened, and each chunk is queued only once its
    sample is stored (its reprocessing must see the new voiceprint). A chunk whose audio is no
    longer kept still records the verdict, without a sample, and cannot be reprocessed.
    """
    if verdict not in (DecisionReview.Verdict.OWNER, DecisionReview.Verdict.NOT_OWNER):
        raise ValueError(f"a verdict is owner or not_owner, not {verdict!r}")
    kind = VoiceSample.Kind.OWNER if verdict == DecisionReview.Verdict.OWNER else VoiceSample.Kind.OTHER
    items = list(
        DecisionReview.objects.filter(id__in=[review.id for review in reviews])
        .select_related("chunk", "voice_sample")
        .defer("chunk__decision", "chunk__timings")
        .order_by("chunk_id", "start_ms")
    )
    has_sample = {item.id for item in items if _sample_of(item) is not None}
    embeddings, model_id = _embed_regions([item for item in items if item.id not in has_sample])
    now = timezone.now()
    with transaction.atomic():
        DecisionReview.objects.filter(id__in=[item.id for item in items]).update(
            verdict=verdict, reviewed_by=reviewed_by, reviewed_at=now
        )
        for item in items:
            if item.id in has_sample:
                VoiceSample.objects.filter(review_id=item.id).update(kind=kind)
            elif item.id in embeddings:
                vector = embeddings[item.id]
                VoiceSample.objects.update_or_create(
                    review_id=item.id,
                    defaults={
                        "user_id": item.user_id,
                        "kind": kind,
                        "embedding": Enrollment.voiceprint_bytes(vector),
                        "dim": int(vector.size),
                        "model_id": model_id[:128],
                        "duration_ms": item.duration_ms,
                    },
                )
    chunks = list({item.chunk_id: item.chunk for item in items}.values())
    queued = chunk_reprocess(chunks=chunks)
    samples = len(has_sample) + len(embeddings)
    return ReviewOutcome(
        marked=len(items),
        samples=samples,
        without_sample=len(items) - samples,
        chunks_queued=queued,
        chunks_skipped=len(chunks) - queued,
    )


def _sample_of(review: DecisionReview) -> VoiceSample | None:
    try:
        return review.voice_sample
    except VoiceSample.DoesNotExist:
        return None


def _embed_regions(reviews: list[DecisionReview]) -> tuple[dict[int, np.ndarray], str]:
    """({review id: embedding of its region}, embedding model id); regions whose audio cannot be
    read (no longer kept, unreadable, store down) or embedded (model unavailable) are left out."""
    embeddings: dict[int, np.ndarray] = {}
    model_id = ""
    by_chunk: dict[int, list[DecisionReview]] = {}
    for review in reviews:
        by_chunk.setdefault(review.chunk_id, []).append(review)
    for items in by_chunk.values():
        chunk = items[0].chunk
        if not chunk.audio:
            continue
        try:
            audio = read_stored_audio(chunk.audio, max_duration_ms=speech_config().max_duration_ms)
            embedder = speech_engine().embedder
        except (SpeechError, *storage_errors()):
            log.exception("chunk %s: its audio cannot be read for a voice sample", chunk.id)
            continue
        model_id = embedder.model_id
        for review in items:
            piece = audio[review.start_ms * SAMPLE_RATE // 1000 : review.end_ms * SAMPLE_RATE // 1000]
            if piece.size < SAMPLE_RATE // 10:  # the region lies past the end of the audio
                continue
            embeddings[review.id] = embedder.embed_audio(piece)
    return embeddings, model_id
