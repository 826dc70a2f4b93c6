"""Writes of utterances: a chunk's new result replaces its utterances; the owner deletes one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import connections, transaction
from django.db.models import Q

from selective_speaker.json_values import json_safe
from selective_speaker.speech.types import Segment as EngineSegment
from utterances.merge import merge_lock, utterances_merge
from utterances.models import Utterance
from utterances.signals import utterance_removing, utterances_created, utterances_deleted

# What `utterances_deleted` carries of each row: never its text.
DELETED_FIELDS = ("id", "chunk", "user", "device_id", "start_ts", "end_ts")


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
        merge_lock(user_id=chunk.user_id)  # first: the owner's utterances change one transaction at a time
        replaced = list(Utterance.objects.filter(chunk_id=chunk.id).only(*DELETED_FIELDS))
        Utterance.objects.filter(chunk_id=chunk.id).delete()
        created = Utterance.objects.bulk_create(rows)
        utterances_merge(utterances=created)  # one take of words another device heard too
        _announce_on_commit(utterances_deleted, replaced)
        _announce_on_commit(utterances_created, created)
    return len(rows)


def utterance_delete(*, utterance: Utterance) -> None:
    """Delete one of the owner's utterances for good, with its duplicates (other devices' takes
    of the same words, utterances.merge; a duplicate deleted alone leaves the kept take). Before
    the rows go, `utterance_removing` lets each chunk remember the time span (no text) so that
    reprocessing never brings them back."""
    with transaction.atomic():
        takes = list(
            Utterance.objects.filter(Q(id=utterance.id) | Q(duplicate_of_id=utterance.id))
            .only(*DELETED_FIELDS, "start_ms", "end_ms")
            .order_by("id")
        )
        for take in takes:
            utterance_removing.send(sender=Utterance, utterance=take)
        deleted, _ = Utterance.objects.filter(id__in=[take.id for take in takes]).delete()
        if not deleted:  # gone already (a concurrent delete or reprocess): record nothing
            transaction.set_rollback(True)
        else:
            _announce_on_commit(utterances_deleted, takes)


def _announce_on_commit(signal, utterances: list[Utterance]) -> None:
    """Send `signal` with these utterances once the current transaction commits (never for none)."""
    if utterances:
        transaction.on_commit(partial(signal.send, sender=Utterance, utterances=utterances), robust=True)


def utterances_erase(*, user) -> int:
    """Delete every utterance of the user (the owner erases all of their data): how many went.
    One statement, no row loaded: when all of an owner's takes go, no duplicate is promoted, so
    duplicate_of's on_delete has nothing to do — yet Django's collector would load every row to
    run it (91 s and 2.1 GB at a million utterances). No `utterances_deleted`: nothing of them is
    announced, as when their chunks go."""
    connection = connections[Utterance.objects.db]
    table, user_id = connection.ops.quote_name(Utterance._meta.db_table), Utterance._meta.get_field("user").column
    with transaction.atomic(using=Utterance.objects.db), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {connection.ops.quote_name(user_id)} = %s", [user.pk])
        return cursor.rowcount
