"""Reads of chunks and locations."""

from __future__ import annotations

from datetime import datetime

from django.db import connections
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
    """The distinct device ids the user has uploaded chunks from, sorted.

    One probe of the (user, device_id, start_ts) index per device — a loose index scan written as
    a recursive query — instead of reading every chunk's entry as DISTINCT does (60–75 ms for
    a year of chunks on PostgreSQL, which has no skip scan before version 18)."""
    connection = connections[Chunk.objects.db]
    quote, fields = connection.ops.quote_name, Chunk._meta
    table, user_id, device_id = (
        quote(name) for name in (fields.db_table, fields.get_field("user").column, fields.get_field("device_id").column)
    )
    next_device = f"SELECT MIN({device_id}) FROM {table} WHERE {user_id} = %s"
    sql = (
        f"WITH RECURSIVE devices(device) AS ({next_device} "
        f"UNION ALL SELECT ({next_device} AND {device_id} > devices.device) FROM devices WHERE device IS NOT NULL) "
        "SELECT device FROM devices WHERE device IS NOT NULL ORDER BY device"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk])
        return [device_id for (device_id,) in cursor.fetchall()]


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
