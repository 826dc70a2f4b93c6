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


def chunk_device_ids(*, user) -> list[str]:
    """The distinct device ids the user has uploaded chunks from, sorted."""
    return list(
        Chunk.objects.filter(user=user).order_by("device_id").values_list("device_id", flat=True).distinct()
    )


# Chunks whose segments are not on the timeline yet, and chunks that ended without any.
CHUNK_PENDING_STATUSES = (Chunk.Status.QUEUED, Chunk.Status.WAITING, Chunk.Status.PROCESSING)
CHUNK_UNSUCCESSFUL_STATUSES = (Chunk.Status.FAILED, Chunk.Status.INDETERMINATE)


def chunk_in_progress(*, user, unsuccessful_since: datetime | None = None) -> QuerySet[Chunk]:
    """The user's chunks still on their way to the timeline (queued, waiting, processing) and,
    uploaded at or after `unsuccessful_since` (all when None), those that failed or stayed
    indeterminate; newest recording first."""
    unsuccessful = Q(status__in=CHUNK_UNSUCCESSFUL_STATUSES)
    if unsuccessful_since is not None:
        unsuccessful &= Q(created_at__gte=unsuccessful_since)
    return (
        Chunk.objects.filter(user=user)
        .filter(Q(status__in=CHUNK_PENDING_STATUSES) | unsuccessful)
        .defer("decision", "timings")
        .order_by("-start_ts", "-id")
    )


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


def chunk_with_audio(*, user) -> QuerySet[Chunk]:
    """The user's chunks whose raw audio is still stored (they can be processed again)."""
    return Chunk.objects.filter(user=user).exclude(audio="").only("id", "audio", "status")
