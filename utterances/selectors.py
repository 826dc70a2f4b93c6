"""The owner's timeline: the one query behind the API and the HTML page."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

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
