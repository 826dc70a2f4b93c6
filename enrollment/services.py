"""Writes of the owner's voice: enrollments and their voiceprints, the voice samples staff
verdicts add, and the list of uncertain decisions to review.

Enrollment jobs follow the shared job rules (selective_speaker.jobs): a conditional UPDATE
claims the row, a bad recording is rejected with a reason (and a code) the owner can act on,
other errors retry a bounded number of times. When a voiceprint becomes ready,
`voiceprint_ready` is sent after commit (the chunks app queues the chunks that waited for one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from enrollment.models import ENROLLMENT_AUDIO_DIR, DecisionReview, Enrollment, VoiceSample
from enrollment.signals import voiceprint_ready
from selective_speaker.audio_files import (
    StorageUnavailable,
    audio_extension,
    check_audio,
    check_upload_size,
    delete_stored_file,
    file_sha256,
    read_stored_audio,
    save_with_stored_audio,
    storage_errors,
)
from selective_speaker.jobs import JobQueue
from selective_speaker.json_values import json_safe
from selective_speaker.orphan_files import sweep_model_orphans
from selective_speaker.request_id import stored_request_id
from selective_speaker.speech.audio import ms_to_samples
from selective_speaker.speech.band import band_of
from selective_speaker.speech.decision import DecisionRecord
from selective_speaker.speech.types import Decision, SpeechError
from selective_speaker.speech_config import speech_config, speech_engine
from selective_speaker.validators import device_id_validator

log = logging.getLogger(__name__)

ENROLLMENT_JOBS = JobQueue(
    model=Enrollment,
    task="enrollment.tasks.process_enrollment",
    label="enrollment",
    waiting=(Enrollment.Status.PENDING,),
    released=Enrollment.Status.PENDING,
    processing=Enrollment.Status.PROCESSING,
    failed=Enrollment.Status.REJECTED,
    code_field="error_code",
    request_scoped=True,
)


def enrollment_create(*, user, audio_file: File, phrase_text: str = "", device_id: str = "") -> Enrollment:
    """Store an enrollment recording and queue the voiceprint job. With a `device_id`, its
    voiceprint judges that device's chunks (the owner's voice as that microphone hears it).

    Raises UploadTooLarge (413), ValidationError on `audio` (400) or StorageUnavailable (503);
    nothing is stored in those cases. Once committed it is accepted, even when the commit's
    acknowledgement was lost: a broker that cannot take the job then (down) delays it until the
    sweep sends it; the row and its recording stay. A database that cannot say whether the row
    was committed gives OperationalError (503) and keeps the recording.
    """
    check_upload_size(audio_file, max_bytes=settings.MAX_UPLOAD_MB * 1024 * 1024)
    if device_id:
        try:
            device_id_validator(device_id)
        except ValidationError as exc:
            raise ValidationError({"device_id": exc.messages}) from exc
    info = check_audio(audio_file, max_duration_ms=settings.MAX_ENROLL_SECONDS * 1000)
    enrollment = Enrollment(
        user=user,
        audio_sha256=file_sha256(audio_file),
        phrase_text=(phrase_text or "").strip(),
        device_id=device_id or "",
        duration_ms=info.duration_ms,
        request_id=stored_request_id(),  # the upload's; its job logs under it
    )
    try:
        enrollment.audio.save(f"audio.{audio_extension(info)}", audio_file, save=False)
    except storage_errors() as exc:
        log.exception("storing the audio of an enrollment failed")
        raise StorageUnavailable(str(exc)) from exc
    save_with_stored_audio(enrollment)  # a failure deletes the file only where the row surely is not
    ENROLLMENT_JOBS.enqueue_on_commit([enrollment.id])  # stored: nothing deletes it from here on
    return enrollment


def enrollment_process(*, enrollment: Enrollment) -> Enrollment | None:
    """Compute the voiceprint of a pending enrollment; None if it was not claimable."""
    claimed_at = ENROLLMENT_JOBS.claim(enrollment.id)
    if claimed_at is None:
        return None
    enrollment.refresh_from_db()
    if ENROLLMENT_JOBS.out_of_attempts(enrollment):
        ENROLLMENT_JOBS.fail_exhausted(enrollment, claimed_at)
        return enrollment
    try:
        audio = read_stored_audio(enrollment.audio, max_duration_ms=speech_config().enroll_max_duration_ms)
        result = speech_engine().enroll(audio, phrase_text=enrollment.phrase_text or None)
    except SpeechError as exc:
        if not exc.permanent:
            return ENROLLMENT_JOBS.retry_or_fail(enrollment, claimed_at, exc)
        ENROLLMENT_JOBS.fail(enrollment, claimed_at, exc.reason, code=exc.code)
        return enrollment
    except Exception as exc:
        return ENROLLMENT_JOBS.retry_or_fail(enrollment, claimed_at, exc)
    fields = {
        "status": Enrollment.Status.READY,
        "error": "",
        "error_code": "",
        "voiceprint": Enrollment.voiceprint_bytes(result.voiceprint),
        "voiceprint_dim": int(result.voiceprint.size),
        "voiceprint_narrow": (
            None if result.voiceprint_narrow is None else Enrollment.voiceprint_bytes(result.voiceprint_narrow)
        ),
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
        if ENROLLMENT_JOBS.held(enrollment.id, claimed_at).update(**fields) != 1:
            log.warning("enrollment %s was taken over by another job; its result is dropped", enrollment.id)
            return None
        user = enrollment.user
        transaction.on_commit(lambda: voiceprint_ready.send(sender=Enrollment, user=user), robust=True)
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
    queued = ENROLLMENT_JOBS.requeue(Enrollment.objects.filter(id=enrollment.id))
    if queued:
        enrollment.status, enrollment.attempts, enrollment.error = Enrollment.Status.PENDING, 0, ""
    return bool(queued)


def enrollment_requeue_stale(*, now=None) -> int:
    """The sweep (a periodic job): enqueue enrollments whose worker died mid-job or whose job
    the broker never took; returns how many were enqueued."""
    return ENROLLMENT_JOBS.requeue_stale(now=now)


def enrollment_sweep_orphan_files(*, now=None) -> int:
    """Delete stored recordings that no enrollment points at, past AUDIO_ORPHAN_GRACE_S (a
    periodic job; selective_speaker/orphan_files.py says where they come from). Returns how many."""
    return sweep_model_orphans(Enrollment, prefix=ENROLLMENT_AUDIO_DIR, now=now)


# --- uncertain decisions: the review list and its verdicts ------------------------------------


def decision_reviews_replace(*, chunk, record: DecisionRecord) -> int:
    """Replace the chunk's pending review items with one per uncertain region of its new result.

    Call inside the transaction that stores the chunk's result. Items already judged are kept
    (their verdicts and voice samples stay), and a new region they mostly cover
    (REVIEW_COVERED_SHARE of its length) is not asked about again; regions shorter than
    REVIEW_MIN_MS are skipped. Returns how many items were created. Nothing here holds text:
    only times, scores and the decision's settings.
    """
    DecisionReview.objects.filter(chunk_id=chunk.id, verdict=DecisionReview.Verdict.PENDING).delete()
    decided = list(
        DecisionReview.objects.filter(chunk_id=chunk.id)
        .exclude(verdict=DecisionReview.Verdict.PENDING)
        .values_list("start_ms", "end_ms")
    )
    reviews = []
    for region in record.regions:
        start_ms, end_ms = region.start_ms, region.end_ms
        if region.decision != Decision.UNCERTAIN or end_ms - start_ms < settings.REVIEW_MIN_MS:
            continue
        covered = sum(max(0, min(end_ms, e) - max(start_ms, s)) for s, e in decided)
        if covered >= settings.REVIEW_COVERED_SHARE * (end_ms - start_ms):
            continue
        reviews.append(
            DecisionReview(
                chunk_id=chunk.id,
                user_id=chunk.user_id,
                start_ms=start_ms,
                end_ms=end_ms,
                similarity=region.similarity,
                threshold=record.threshold or 0.0,
                margin=record.uncertain_margin or 0.0,
                strategy=(record.strategy or "")[:32],
                embedding_model=(record.embedding_model or "")[:128],
            )
        )
    DecisionReview.objects.bulk_create(reviews)
    return len(reviews)


@dataclass(frozen=True)
class VerdictOutcome:
    """What recording a verdict did to the voice."""

    items: list[DecisionReview]  # the judged items, with their chunks
    samples: int  # voice samples stored or turned to the verdict's kind
    without_sample: int  # items judged, but no sample: audio no longer kept or unreadable


def decision_reviews_judge(*, reviews: Iterable[DecisionReview], verdict: str, reviewed_by) -> VerdictOutcome:
    """Record a verdict on review items and learn from their audio.

    `owner`: the region's embedding becomes an owner sample, which joins the user's active
    voiceprint (enrollment.selectors.enrollment_active_voiceprint bounds its weight);
    `not_owner`: an `other` sample, passed to the engine as a negative. A review that has a
    sample already only turns its kind (no audio is read again). The embedding is the engine's
    embedder on the region's audio, computed here, synchronously: the chunk is decoded once
    for all of its regions and a region embeds in 50–300 ms on CPU, so a page of verdicts
    answers in seconds with what actually happened, and the caller can queue each chunk once
    its sample is stored (its reprocessing must see the new voiceprint). A chunk whose audio
    is no longer kept still records the verdict, without a sample.
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
    embeddings, model_id, bands = _embed_regions([item for item in items if item.id not in has_sample])
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
                        "device_id": item.chunk.device_id,
                        "embedding": Enrollment.voiceprint_bytes(vector),
                        "dim": int(vector.size),
                        "model_id": model_id[:128],
                        "duration_ms": item.duration_ms,
                        "band": bands[item.id],
                    },
                )
    samples = len(has_sample) + len(embeddings)
    return VerdictOutcome(items=items, samples=samples, without_sample=len(items) - samples)


def _sample_of(review: DecisionReview) -> VoiceSample | None:
    try:
        return review.voice_sample
    except VoiceSample.DoesNotExist:
        return None


def _embed_regions(reviews: list[DecisionReview]) -> tuple[dict[int, np.ndarray], str, dict[int, str]]:
    """({review id: embedding of its region}, embedding model id, {review id: its chunk's band});
    regions whose audio cannot be read (no longer kept, unreadable, store down) or embedded
    (model unavailable) are left out."""
    embeddings: dict[int, np.ndarray] = {}
    bands: dict[int, str] = {}
    model_id = ""
    by_chunk: dict[int, list[DecisionReview]] = {}
    for review in reviews:
        by_chunk.setdefault(review.chunk_id, []).append(review)
    for items in by_chunk.values():
        vectors, chunk_model_id, band = _embed_stretches(items[0].chunk, [(r.start_ms, r.end_ms) for r in items])
        model_id = chunk_model_id or model_id
        embeddings.update({items[i].id: vector for i, vector in vectors.items()})
        bands.update({items[i].id: band for i in vectors})
    return embeddings, model_id, bands


def _embed_stretches(chunk, stretches: list[tuple[int, int]]) -> tuple[dict[int, np.ndarray], str, str]:
    """({index of the stretch: its embedding}, embedding model id, the chunk's band), the chunk
    decoded once; empty when its audio cannot be read (no longer kept, unreadable, store down) or
    the model is unavailable; a stretch past the end of the audio is left out."""
    if not chunk.audio:
        return {}, "", ""
    try:
        audio = read_stored_audio(chunk.audio, max_duration_ms=speech_config().max_duration_ms)
        embedder = speech_engine().embedder
    except (SpeechError, *storage_errors()):
        log.exception("chunk %s: its audio cannot be read for a voice sample", chunk.id)
        return {}, "", ""
    vectors = {}
    for index, (start_ms, end_ms) in enumerate(stretches):
        piece = audio[ms_to_samples(start_ms) : ms_to_samples(end_ms)]
        if piece.size >= ms_to_samples(100):
            vectors[index] = embedder.embed_audio(piece)
    return vectors, embedder.model_id, band_of(audio, speech_config())


def voice_sample_record(*, chunk, start_ms: int, end_ms: int, kind: str) -> VoiceSample | None:
    """Keep the voice of one stretch of a chunk as a sample of `kind` (an owner who says "not
    me" about a kept utterance: an `other` sample, a negative from then on). None when its
    audio cannot be read or embedded (no longer kept, store down, model unavailable)."""
    vectors, model_id, band = _embed_stretches(chunk, [(start_ms, end_ms)])
    if not vectors:
        return None
    vector = vectors[0]
    return VoiceSample.objects.create(
        user_id=chunk.user_id,
        kind=kind,
        device_id=chunk.device_id,
        embedding=Enrollment.voiceprint_bytes(vector),
        dim=int(vector.size),
        model_id=model_id[:128],
        duration_ms=end_ms - start_ms,
        band=band,
    )
