"""What the webhooks app does when the lower apps' signals fire (connected in webhooks/apps.py)."""

from __future__ import annotations

from webhooks.events import chunk_data, utterance_created_data, utterance_deleted_data
from webhooks.models import Event
from webhooks.services import webhook_event_emit, webhook_payloads_redact


def chunk_processed(sender, *, chunk, **kwargs) -> None:
    """chunks.signals.chunk_processed: a chunk's result is stored."""
    items = [(f"chunk:{chunk.id}", chunk_data(chunk))]
    webhook_event_emit(user_id=chunk.user_id, event=Event.CHUNK_PROCESSED, items=items)


def utterances_created(sender, *, utterances, **kwargs) -> None:
    """utterances.signals.utterances_created: new utterances are stored."""
    for user_id, group in _by_user(utterances).items():
        items = [(f"utterance:{u.id}", utterance_created_data(u)) for u in group]
        webhook_event_emit(user_id=user_id, event=Event.UTTERANCE_CREATED, items=items)


def utterances_deleted(sender, *, utterances, **kwargs) -> None:
    """utterances.signals.utterances_deleted: the logged payloads lose the text, endpoints hear of it."""
    webhook_payloads_redact(subjects=[f"utterance:{u.id}" for u in utterances])
    for user_id, group in _by_user(utterances).items():
        items = [(f"utterance:{u.id}", utterance_deleted_data(u)) for u in group]
        webhook_event_emit(user_id=user_id, event=Event.UTTERANCE_DELETED, items=items)


def _by_user(utterances) -> dict[int, list]:
    groups: dict[int, list] = {}
    for utterance in utterances:
        groups.setdefault(utterance.user_id, []).append(utterance)
    return groups


def chunk_deleted(sender, *, instance, origin=None, **kwargs) -> None:
    """post_delete of chunks.Chunk (the owner deleted a recording, or erased everything): the
    words of its utterances leave the delivery log too. Django sends this once per recording
    after the delete's rows are gone, so a delete of many (erasing an account: 2,000 at a time)
    redacts once, at its first recording of each owner: every payload about a recording of that
    owner that no longer exists — not one query per recording (40 s for a year of them)."""
    if origin is None:
        webhook_payloads_redact(chunk_id=instance.id)
        return
    done = origin.__dict__.setdefault("_webhooks_redacted_for", set())
    if instance.user_id not in done:
        done.add(instance.user_id)
        webhook_payloads_redact(gone_chunks_of=instance.user_id)
