"""Reads of chunks and locations."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from chunks.models import Chunk, Location


def chunk_list(*, user, status: str | None = None, device_id: str | None = None) -> QuerySet[Chunk]:
    chunks = Chunk.objects.filter(user=user).select_related("location")
    if status:
        chunks = chunks.filter(status=status)
    if device_id:
        chunks = chunks.filter(device_id=device_id)
    return chunks.order_by("-start_ts", "-id")


def chunk_get(*, user, chunk_id: int) -> Chunk | None:
    return chunk_list(user=user).filter(id=chunk_id).first()


def chunk_find_duplicate(*, user, device_id: str, start_ts: datetime, audio_sha256: str) -> Chunk | None:
    """An earlier upload of the same recording: same device and start time, or same bytes."""
    return (
        Chunk.objects.filter(user=user)
        .filter(Q(device_id=device_id, start_ts=start_ts) | Q(audio_sha256=audio_sha256))
        .select_related("location")
        .order_by("id")
        .first()
    )


def location_cached(*, lat_round, lon_round) -> Location | None:
    return Location.objects.filter(lat_round=lat_round, lon_round=lon_round).first()
