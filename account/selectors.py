"""The owner's own data as a whole, read: export all of it (account/services.py erases it).

"All of it" is every row of our apps that belongs to the user — found by walking the models
that have a `user` foreign key, so a model added later is exported and erased without anyone
remembering to add it here — plus the audio files those rows point at, and the places only
the user's chunks referred to. The account itself (login, API token) stays: erasing data is
not closing the account.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from account.models import AccountSettings
from chunks.models import Chunk, Location
from enrollment.models import Enrollment
from selective_speaker.json_values import json_safe
from utterances.models import Utterance

OWNER_DATA_APPS = ("enrollment", "utterances", "chunks")
EXPORT_FORMAT = "selective-speaker-export/1"


def user_owned_models() -> list[type[models.Model]]:
    """Every model of our apps with a `user` foreign key to the account."""
    owned = []
    for label in OWNER_DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            field = next((f for f in model._meta.concrete_fields if f.name == "user"), None)
            if field is not None and field.is_relation:
                owned.append(model)
    return owned


# --- export -------------------------------------------------------------------------------


def _enrollment_row(e: Enrollment) -> dict:
    return {
        "id": e.id,
        "status": e.status,
        "error": e.error,
        "phrase_text": e.phrase_text,
        "transcript": e.transcript,
        "edit_distance": e.edit_distance,
        "speech_ms": e.speech_ms,
        "window_count": e.window_count,
        "consistency": e.consistency,
        "model_id": e.model_id,
        "duration_ms": e.duration_ms,
        "audio_retained": bool(e.audio),
        "voiceprint": e.voiceprint_array().tolist() if e.voiceprint is not None else None,
        "voiceprint_narrow": e.voiceprint_narrow_array().tolist() if e.voiceprint_narrow is not None else None,
        "created_at": e.created_at,
        "processed_at": e.processed_at,
    }


def _chunk_row(c: Chunk) -> dict:
    return {
        "id": c.id,
        "device_id": c.device_id,
        "start_ts": c.start_ts,
        "end_ts": c.end_ts,
        "gps_lat": c.gps_lat,
        "gps_lon": c.gps_lon,
        "place_id": c.location_id,
        "status": c.status,
        "error": c.error,
        "duration_ms": c.duration_ms,
        "codec": c.codec,
        "audio_bytes": c.audio_bytes,
        "audio_sha256": c.audio_sha256,
        "audio_retained": bool(c.audio),
        "audio_deleted_at": c.audio_deleted_at,
        "segments_count": c.segments_count,
        "owner_speech_ms": c.owner_speech_ms,
        "decision": c.decision,
        "timings": c.timings,
        "created_at": c.created_at,
        "processed_at": c.processed_at,
    }


def _utterance_row(s: Utterance) -> dict:
    return {
        "id": s.id,
        "chunk_id": s.chunk_id,
        "device_id": s.device_id,
        "start_ts": s.start_ts,
        "end_ts": s.end_ts,
        "start_ms": s.start_ms,
        "end_ms": s.end_ms,
        "text": s.text,
        "words": s.words,
        "confidence": s.confidence,
        "owner_similarity": s.owner_similarity,
        "uncertain": s.uncertain,
        "duplicate_of": s.duplicate_of_id,  # another device's take of the same words, shown instead
        "created_at": s.created_at,
    }


def _place_row(p: Location) -> dict:
    return {
        "id": p.id,
        "address": p.address,
        "city": p.city,
        "country": p.country,
        "lat": float(p.lat_round),
        "lon": float(p.lon_round),
        "provider": p.provider,
    }


def _plain_row(obj: models.Model) -> dict:
    """Any other owned row: its concrete fields; a binary field as its length, a file as
    whether it is kept."""
    row = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(field, models.BinaryField):
            value = None if value is None else {"bytes": len(value)}
        elif isinstance(field, models.FileField):
            value = bool(value)
        row[field.attname] = value if isinstance(value, datetime) else json_safe(value)
    return row


def _sections(user) -> list[tuple[str, Iterable[dict]]]:
    chunks = Chunk.objects.filter(user=user).order_by("start_ts", "id")
    sections: list[tuple[str, Iterable[dict]]] = [
        ("enrollments", map(_enrollment_row, Enrollment.objects.filter(user=user).order_by("created_at", "id"))),
        ("chunks", map(_chunk_row, chunks.iterator(chunk_size=500))),
        (
            # the export format's name for utterances (selective-speaker-export/1 is a contract)
            "segments",
            map(
                _utterance_row,
                Utterance.objects.filter(user=user)
                .defer("search_vector")
                .order_by("start_ts", "id")
                .iterator(chunk_size=2000),
            ),
        ),
        ("places", map(_place_row, Location.objects.filter(chunks__user=user).distinct().order_by("id"))),
    ]
    covered = {Enrollment, Chunk, Utterance}
    for model in user_owned_models():
        if model not in covered:
            rows = model._default_manager.filter(user=user).order_by("pk").iterator(chunk_size=500)
            sections.append((model._meta.label_lower, map(_plain_row, rows)))
    return sections


def account_export_stream(*, user) -> Iterator[str]:
    """All of the owner's data as one JSON document, produced piece by piece (a year of
    utterances never has to fit in memory)."""
    encoder = DjangoJSONEncoder()
    header = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "user": {
            "id": user.id,
            "username": user.get_username(),
            "email": user.email,
            "date_joined": user.date_joined,
            "time_zone": account_time_zone(user=user),  # "" = none chosen
        },
    }
    yield encoder.encode(header)[:-1]  # the object stays open for the sections
    for name, rows in _sections(user):
        yield f", {encoder.encode(name)}: ["
        for index, row in enumerate(rows):
            yield ("" if index == 0 else ", ") + encoder.encode(row)
        yield "]"
    yield "}\n"


def account_export(*, user) -> dict:
    """All of the owner's data as a dict (what account_export_stream writes, parsed)."""
    return json.loads("".join(account_export_stream(user=user)))


# --- the owner's settings -------------------------------------------------------------------


def account_time_zone(*, user) -> str:
    """The IANA time zone the owner chose for the pages, or "" when none is chosen yet."""
    return AccountSettings.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""
