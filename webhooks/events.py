"""The body of each event: an envelope and the owner's own data, never anybody else's.

    {"id": "evt_…", "event": "utterance.created", "created_at": "2024-05-01T09:31:02.120Z",
     "data": {"utterance": {…}}}

`id` is the event's: the same on every attempt and for every endpoint (receivers de-duplicate on
it). Only what the owner's timeline shows goes out: an utterance's text is the owner's own words
(bystanders' are never transcribed); a chunk's record carries counts and times, no text, no audio.
"""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from webhooks.models import TEST_EVENT, Event

_json = DjangoJSONEncoder()


def _time(value) -> str | None:
    return None if value is None else _json.default(value)


def event_envelope(event: str, data: dict) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex}", "event": event, "created_at": _time(timezone.now()), "data": data}


def chunk_data(chunk) -> dict:
    """chunk.processed: the recording's outcome (no text)."""
    return {
        "chunk": {
            "id": chunk.id,
            "device_id": chunk.device_id,
            "start_ts": _time(chunk.start_ts),
            "end_ts": _time(chunk.end_ts),
            "status": chunk.status,
            "utterances_count": chunk.segments_count,
            "owner_speech_ms": chunk.owner_speech_ms,
            "processed_at": _time(chunk.processed_at),
        }
    }


def _utterance_identity(utterance) -> dict:
    """Which utterance: its ids, device and time — never its words."""
    return {
        "id": utterance.id,
        "chunk_id": utterance.chunk_id,
        "device_id": utterance.device_id,
        "start_ts": _time(utterance.start_ts),
        "end_ts": _time(utterance.end_ts),
    }


def utterance_created_data(utterance) -> dict:
    """utterance.created: what the timeline shows of it, the owner's words included."""
    return {
        "utterance": {
            **_utterance_identity(utterance),
            "text": utterance.text,
            "confidence": utterance.confidence,
            "uncertain": utterance.uncertain,
        }
    }


def utterance_deleted_data(utterance) -> dict:
    """utterance.deleted: which one went (no text: it is gone for good)."""
    return {"utterance": _utterance_identity(utterance)}


def ping_data(endpoint) -> dict:
    return {"endpoint_id": endpoint.id, "message": "A test event from Selective Speaker: the endpoint works."}


EVENT_DESCRIPTIONS = {
    Event.CHUNK_PROCESSED: "a recording was processed: its id, device, times, status and counts (no text)",
    Event.UTTERANCE_CREATED: "an utterance was kept: its id, chunk, device, times, text and confidence",
    Event.UTTERANCE_DELETED: "an utterance was deleted (by you, or replaced by a reprocess): its id and times",
    TEST_EVENT: "sent by “send test event” only",
}
