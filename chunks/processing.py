"""The chunk job: run the speech engine on a chunk and store what the owner said.

The job claims its chunk (selective_speaker.jobs), compares it with the owner's active
voiceprint, and in one transaction — only while it still holds its claim — replaces the
chunk's utterances, its review items and its audit record. Bad audio fails fast with a
readable reason; other errors release the chunk for a retry, at most JOB_MAX_ATTEMPTS times.
A chunk uploaded before any enrollment is ready waits (`waiting`) until one is.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chunks.models import Chunk
from chunks.result_changes import result_change
from chunks.services import CHUNK_JOBS, chunk_requeue_waiting, chunk_retain_after_processing
from enrollment.selectors import (
    ActiveVoiceprint,
    decision_review_answers,
    enrollment_active_voiceprint,
    enrollment_ready_exists,
)
from enrollment.services import decision_reviews_replace
from selective_speaker.audio_files import read_stored_audio
from selective_speaker.json_values import json_safe
from selective_speaker.speech.types import ChunkResult, ChunkStatus, SpeechError
from selective_speaker.speech_config import speech_config, speech_engine
from utterances.services import UtteranceDraft, utterances_replace

log = logging.getLogger(__name__)


def chunk_process(*, chunk_id: int) -> Chunk | None:
    """Run the speech engine on a chunk and store the owner's utterances.

    Returns the chunk, or None when it was not claimable (done already, taken by another
    worker, deleted): a duplicate delivery of the job does nothing.
    """
    claimed_at = CHUNK_JOBS.claim(chunk_id)
    if claimed_at is None:
        return None
    chunk = Chunk.objects.select_related("user").get(id=chunk_id)
    if CHUNK_JOBS.out_of_attempts(chunk):
        CHUNK_JOBS.fail_exhausted(chunk, claimed_at)
        return chunk
    active = enrollment_active_voiceprint(user=chunk.user, device_id=chunk.device_id)
    if active is None:
        _chunk_wait(chunk, claimed_at)
        return chunk
    try:
        config = speech_config()
        audio = read_stored_audio(chunk.audio, max_duration_ms=config.max_duration_ms)
        extra = {"negatives": active.negatives} if len(active.negatives) else {}
        if active.vector_narrow is not None:
            extra["voiceprint_narrow"] = active.vector_narrow
        answers = decision_review_answers(chunk=chunk)
        if answers != ([], []):
            extra["answers"] = answers
        if config.strategy == "anchored":
            extra["enrollment_audio"] = read_stored_audio(
                active.newest.audio, max_duration_ms=config.enroll_max_duration_ms
            )
        result = speech_engine().process_chunk(audio, voiceprint=active.vector, **extra)
        _chunk_store_result(chunk, claimed_at, result, active)
        chunk_retain_after_processing(chunk)
    except SpeechError as exc:
        if not exc.permanent:
            return CHUNK_JOBS.retry_or_fail(chunk, claimed_at, exc)
        CHUNK_JOBS.fail(chunk, claimed_at, exc.reason)
    except Exception as exc:
        return CHUNK_JOBS.retry_or_fail(chunk, claimed_at, exc)
    return chunk


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


def _suppressed(start_ms: int, end_ms: int, spans: list) -> bool:
    """Whether a new utterance overlaps one the owner deleted from an earlier result."""
    return any(start_ms < s_end and s_start < end_ms for s_start, s_end in spans)
