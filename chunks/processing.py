"""The chunk job: run the speech engine on a chunk and store what the owner said.

The job claims its chunk (selective_speaker.jobs), compares it with the owner's active
voiceprint, and in one transaction — only while it still holds its claim — replaces the
chunk's utterances, its review items and its audit record. Bad audio fails fast with a
readable reason; other errors release the chunk for a retry, at most JOB_MAX_ATTEMPTS times.
A chunk uploaded before any enrollment is ready waits (`waiting`) until one is. A short chunk's
job takes the owner's other waiting short chunks with it (CHUNK_BATCH_SECONDS), so that the
engine transcribes them in one pass; each is still claimed, stored, failed or retried on its own.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chunks.models import Chunk
from chunks.result_changes import result_change
from chunks.selectors import chunk_batch_mates
from chunks.services import CHUNK_JOBS, chunk_requeue_waiting, chunk_retain_after_processing
from chunks.signals import chunk_processed
from enrollment.selectors import (
    ActiveVoiceprint,
    decision_review_answers,
    enrollment_active_voiceprint,
    enrollment_ready_exists,
)
from enrollment.services import decision_reviews_replace
from selective_speaker.audio_files import read_stored_audio
from selective_speaker.json_values import json_safe
from selective_speaker.request_id import current_request_id, request_id_bound
from selective_speaker.speech.types import ChunkJob, ChunkResult, ChunkStatus, SpeechError
from selective_speaker.speech_config import speech_config, speech_engine
from utterances.services import UtteranceDraft, utterances_replace

log = logging.getLogger(__name__)


def chunk_process(*, chunk_id: int) -> Chunk | None:
    """Run the speech engine on a chunk and store the owner's utterances.

    A chunk shorter than CHUNK_BATCH_SECONDS takes the owner's other fresh chunks waiting in the
    queue with it, up to that much audio in all (`chunk_batch_mates`): the engine transcribes
    their owner stretches in one pass (Engine.process_chunks), so short chunks share Whisper's
    30 s windows. Each chunk is claimed, judged against its own device's voiceprint, stored,
    failed or retried on its own; their own jobs find them done and do nothing.

    Returns the chunk, or None when it was not claimable (done already, taken by another
    worker, deleted): a duplicate delivery of the job does nothing.
    """
    batch = _chunk_claim_batch(chunk_id)
    if not batch:
        return None
    config = speech_config()
    ready: list[tuple[Chunk, datetime, ActiveVoiceprint, ChunkJob]] = []
    raised: dict[int, BaseException] = {}
    for chunk, claimed_at in batch:
        if CHUNK_JOBS.out_of_attempts(chunk):
            CHUNK_JOBS.fail_exhausted(chunk, claimed_at)
            continue
        active = enrollment_active_voiceprint(user=chunk.user, device_id=chunk.device_id)
        if active is None:
            _chunk_wait(chunk, claimed_at)
            continue
        try:
            ready.append((chunk, claimed_at, active, _chunk_engine_job(chunk, active, config)))
        except Exception as exc:
            _chunk_settle_error(chunk, claimed_at, exc, raised)
    outcomes = speech_engine().process_chunks([job for *_, job in ready]) if ready else []
    for (chunk, claimed_at, active, _job), outcome in zip(ready, outcomes):
        # each chunk's own lines carry the id of its own upload, batch mate or not
        with request_id_bound(chunk.request_id or current_request_id()):
            try:
                if isinstance(outcome, BaseException):
                    raise outcome
                _chunk_store_result(chunk, claimed_at, outcome, active)
                chunk_retain_after_processing(chunk)
            except Exception as exc:
                _chunk_settle_error(chunk, claimed_at, exc, raised)
    head = batch[0][0]
    if head.id in raised:
        raise raised[head.id]  # django-q2 records the failure of this chunk's own job
    return head


def _chunk_claim_batch(chunk_id: int) -> list[tuple[Chunk, datetime]]:
    """(chunk, claim time) of the job's chunk, then of the batch mates it could claim too."""
    mates = chunk_batch_mates(chunk_id=chunk_id, max_ms=settings.CHUNK_BATCH_SECONDS * 1000)
    batch_ms = sum(duration_ms for _id, duration_ms in mates) or None
    claimed_at = CHUNK_JOBS.claim(chunk_id, batch_ms=batch_ms)
    if claimed_at is None:
        return []
    claims = {chunk_id: claimed_at}
    for mate_id, _duration_ms in mates[1:]:
        mate_claimed_at = CHUNK_JOBS.claim(mate_id, batch_ms=batch_ms)
        if mate_claimed_at is not None:
            claims[mate_id] = mate_claimed_at
    chunks = Chunk.objects.select_related("user").in_bulk(list(claims))
    return [(chunks[i], claims[i]) for i in claims if i in chunks]


def _chunk_engine_job(chunk: Chunk, active: ActiveVoiceprint, config) -> ChunkJob:
    """What the engine needs for the chunk: its audio, the voiceprint of its device, the
    confirmed negatives and the owner's answers; the enrollment audio for the anchored strategy."""
    audio = read_stored_audio(chunk.audio, max_duration_ms=config.max_duration_ms)
    answers = decision_review_answers(chunk=chunk)
    enrollment_audio = None
    if config.strategy == "anchored":
        enrollment_audio = read_stored_audio(active.newest.audio, max_duration_ms=config.enroll_max_duration_ms)
    return ChunkJob(
        audio,
        voiceprint=active.vector,
        voiceprint_narrow=active.vector_narrow,
        enrollment_audio=enrollment_audio,
        negatives=active.negatives if len(active.negatives) else None,
        answers=answers if answers != ([], []) else ((), ()),
    )


def _chunk_settle_error(chunk: Chunk, claimed_at: datetime, exc: Exception, raised: dict) -> None:
    """Bad audio fails the chunk for good; anything else releases it for a retry (or gives up
    after the last attempt). The exception to re-raise for a retry goes into `raised`."""
    if isinstance(exc, SpeechError) and exc.permanent:
        CHUNK_JOBS.fail(chunk, claimed_at, exc.reason)
        return
    try:
        CHUNK_JOBS.retry_or_fail(chunk, claimed_at, exc)
    except Exception as retried:
        raised[chunk.id] = retried


def _chunk_wait(chunk: Chunk, claimed_at: datetime) -> None:
    # Waiting is not an attempt: give the claim's count back.
    CHUNK_JOBS.held(chunk.id, claimed_at).update(
        status=Chunk.Status.WAITING, attempts=F("attempts") - 1, claimed_at=None
    )
    chunk.status = Chunk.Status.WAITING
    chunk.attempts -= 1
    # An enrollment that became ready meanwhile may have requeued the user's waiting chunks
    # just before this one joined them.
    if enrollment_ready_exists(user=chunk.user):
        chunk_requeue_waiting(user=chunk.user)


def _chunk_store_result(chunk: Chunk, claimed_at: datetime, result: ChunkResult, active: ActiveVoiceprint) -> None:
    status = Chunk.Status.DONE if result.status == ChunkStatus.DONE else Chunk.Status.INDETERMINATE
    record = replace(
        result.decision,
        extra={
            **result.decision.extra,
            "reason": result.reason,
            "enrollment_ids": [e.id for e in active.enrollments],
            "voiceprint_device": active.device_id,  # "" = the owner's device-independent voiceprint
        },
    )
    decision = json_safe(record.to_dict())
    drafts = [
        UtteranceDraft.from_segment(s)
        for s in result.segments
        if not _suppressed(s.start_ms, s.end_ms, chunk.suppressed_spans)
    ]
    fields = {
        "status": status,
        "error": result.reason if status == Chunk.Status.INDETERMINATE else "",
        "decision": decision,
        "timings": json_safe(result.timings),
        "segments_count": len(drafts),
        "owner_speech_ms": result.owner_speech_ms,
        "enrollment": active.newest,
        "processed_at": timezone.now(),
    }
    with transaction.atomic():
        decision["change"] = result_change(chunk=chunk, drafts=drafts)  # counts, for staff
        if CHUNK_JOBS.held(chunk.id, claimed_at).update(**fields) != 1:
            log.warning("chunk %s was taken over by another job; its result is dropped", chunk.id)
            return
        decision_reviews_replace(chunk=chunk, record=record)  # uncertain regions → review list
        utterances_replace(chunk=chunk, drafts=drafts)
    for name, value in fields.items():
        setattr(chunk, name, value)
    transaction.on_commit(lambda: chunk_processed.send(sender=Chunk, chunk=chunk), robust=True)  # webhooks


def _suppressed(start_ms: int, end_ms: int, spans: list) -> bool:
    """Whether a new utterance overlaps one the owner deleted from an earlier result."""
    return any(start_ms < s_end and s_start < end_ms for s_start, s_end in spans)
