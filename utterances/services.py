"""Writes of utterances: a chunk's new result replaces its utterances; the owner deletes one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from selective_speaker.json_values import json_safe
from selective_speaker.speech.types import Segment as EngineSegment
from utterances.models import Utterance
from utterances.signals import utterance_removing


@dataclass(frozen=True)
class UtteranceDraft:
    """One utterance of a chunk's new result, before it is stored (times from the chunk's start)."""

    start_ms: int
    end_ms: int
    text: str
    words: list
    confidence: float
    owner_similarity: float | None
    uncertain: bool

    @classmethod
    def from_segment(cls, segment: EngineSegment) -> UtteranceDraft:
        """From a segment of the speech engine's result (JSON-safe numbers)."""
        return cls(
            start_ms=segment.start_ms,
            end_ms=segment.end_ms,
            text=segment.text,
            words=json_safe(segment.as_dict()["words"]),
            confidence=json_safe(segment.confidence) or 0.0,
            owner_similarity=json_safe(segment.owner_similarity),
            uncertain=bool(segment.uncertain),
        )


def utterances_replace(*, chunk, drafts: list[UtteranceDraft]) -> int:
    """Replace the chunk's utterances with `drafts` (call inside the transaction that stores
    the chunk's result). Returns how many were stored."""
    rows = [
        Utterance(
            chunk_id=chunk.id,
            user_id=chunk.user_id,
            device_id=chunk.device_id,
            start_ts=chunk.start_ts + timedelta(milliseconds=d.start_ms),
            end_ts=chunk.start_ts + timedelta(milliseconds=d.end_ms),
            start_ms=d.start_ms,
            end_ms=d.end_ms,
            text=d.text,
            words=d.words,
            confidence=d.confidence,
            owner_similarity=d.owner_similarity,
            uncertain=d.uncertain,
        )
        for d in drafts
    ]
    with transaction.atomic():
        Utterance.objects.filter(chunk_id=chunk.id).delete()
        Utterance.objects.bulk_create(rows)
    return len(rows)


def utterance_delete(*, utterance: Utterance) -> None:
    """Delete one of the owner's utterances for good. Before its row goes, `utterance_removing`
    lets the chunk remember its time span (no text) so that reprocessing never brings it back."""
    with transaction.atomic():
        utterance_removing.send(sender=Utterance, utterance=utterance)
        deleted, _ = Utterance.objects.filter(id=utterance.id).delete()
        if not deleted:  # gone already (a concurrent delete or reprocess): record nothing
            transaction.set_rollback(True)
