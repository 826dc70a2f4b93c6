"""The owner's timeline: the one query behind the API and the HTML page."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import ExtractHour

from utterances.models import Segment


def utterance_timeline(
    *,
    user,
    since: datetime | None = None,
    until: datetime | None = None,
    device_id: str | None = None,
    q: str | None = None,
) -> QuerySet[Segment]:
    """The user's segments newest first; `since` inclusive, `until` exclusive, `q` a
    case-insensitive substring of the text. Served by the (user, -start_ts, -id) indexes."""
    segments = Segment.objects.filter(user=user)
    if since is not None:
        segments = segments.filter(start_ts__gte=since)
    if until is not None:
        segments = segments.filter(start_ts__lt=until)
    if device_id:
        segments = segments.filter(device_id=device_id)
    if q:
        segments = segments.filter(text__icontains=q)
    return (
        segments.select_related("chunk__location")
        # word timings and the chunk's audit record are not part of a bubble (a caller that
        # needs them adds `.defer(None)`)
        .defer("words", "chunk__decision", "chunk__timings")
        .order_by("-start_ts", "-id")
    )


def segment_get(*, user, segment_id: int) -> Segment | None:
    """One of the user's segments (None for anyone else's)."""
    return Segment.objects.filter(user=user, id=segment_id).select_related("chunk").first()


# --- the HTML timeline's day strip and empty states ----------------------------------------


def utterance_hourly_activity(
    *, user, since: datetime, until: datetime, device_id: str | None = None
) -> dict[int, tuple[int, int]]:
    """{local hour: (spoken ms, segment count)} of the user's segments starting in [since,
    until), hours without speech left out. One aggregate query (GROUP BY the hour of start_ts
    in the current time zone); a segment counts wholly in the hour it starts in."""
    segments = Segment.objects.filter(user=user, start_ts__gte=since, start_ts__lt=until)
    if device_id:
        segments = segments.filter(device_id=device_id)
    rows = (
        segments.annotate(hour=ExtractHour("start_ts"))
        .values("hour")
        .annotate(spoken_ms=Sum(F("end_ms") - F("start_ms")), count=Count("id"))
        .order_by()
    )
    return {row["hour"]: (int(row["spoken_ms"] or 0), row["count"]) for row in rows}


def utterance_nearest(
    *, user, before: datetime, after: datetime, device_id: str | None = None
) -> tuple[datetime | None, datetime | None]:
    """start_ts of the user's last segment before `before` and of the first at or after
    `after` (None where there is none): where the nearest speech is, from an empty day."""
    segments = Segment.objects.filter(user=user)
    if device_id:
        segments = segments.filter(device_id=device_id)
    earlier = segments.filter(start_ts__lt=before).order_by("-start_ts", "-id").values_list("start_ts", flat=True)
    later = segments.filter(start_ts__gte=after).order_by("start_ts", "id").values_list("start_ts", flat=True)
    return earlier.first(), later.first()


def utterance_chunks_with_audio(*, user):
    """The user's chunks whose raw audio is still stored (they can be processed again)."""
    from chunks.models import Chunk

    return Chunk.objects.filter(user=user).exclude(audio="").only("id", "audio", "status")
