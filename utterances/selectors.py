"""The owner's timeline: the one query behind the API and the HTML page."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F, Prefetch, QuerySet, Sum
from django.db.models.functions import ExtractHour
from django.utils.safestring import SafeString

from utterances.models import Utterance
from utterances.search import search_filter, search_highlight

# What a bubble shows, on the page and in the API: never the word timings, the search vector,
# the chunk's audit record or job bookkeeping, nor the place's raw geocoder answer.
TIMELINE_FIELDS = (
    *("id", "chunk", "user", "device_id", "start_ts", "end_ts", "start_ms", "end_ms", "text"),
    *("confidence", "owner_similarity", "uncertain", "duplicate_of"),
    *("chunk__user", "chunk__device_id", "chunk__start_ts", "chunk__end_ts", "chunk__duration_ms", "chunk__status"),
    *("chunk__gps_lat", "chunk__gps_lon", "chunk__audio", "chunk__segments_count", "chunk__location"),
    *("chunk__location__address", "chunk__location__city", "chunk__location__country"),
)


def _owner_utterances(*, user, device_id: str | None = None, include_duplicates: bool = False) -> QuerySet:
    """The user's utterances, of one device or of all. Words that several devices heard are one
    kept utterance and its duplicates (utterances.merge): across devices only the kept one is
    listed, unless `include_duplicates`. One device's are all listed (it never holds two takes
    of the same words), so that its list is what it heard."""
    utterances = Utterance.objects.filter(user=user)
    if device_id:
        return utterances.filter(device_id=device_id)
    if not include_duplicates:
        utterances = utterances.filter(duplicate_of__isnull=True)
    return utterances


def utterance_timeline(
    *,
    user,
    since: datetime | None = None,
    until: datetime | None = None,
    device_id: str | None = None,
    q: str | None = None,
    order: str = "relevance",
    include_duplicates: bool = False,
) -> QuerySet[Utterance]:
    """The user's utterances newest first; `since` inclusive, `until` exclusive. Served by the
    (user, -start_ts, -id) indexes. Other devices' takes of the same words are left out unless
    `include_duplicates` or `device_id` (_owner_utterances); each row's `duplicates` (id,
    device_id) come prefetched, one query per page.

    With `q`: only those that contain every word of `q` (utterances.search), each with a `rank`,
    in SEARCH_ORDERING — best match first where the database ranks (PostgreSQL, `order`
    "relevance"), newest first otherwise. Page them with utterances.pagination, count them with
    `.count()`, highlight them with utterance_search_highlight."""
    utterances = _owner_utterances(user=user, device_id=device_id, include_duplicates=include_duplicates)
    if since is not None:
        utterances = utterances.filter(start_ts__gte=since)
    if until is not None:
        utterances = utterances.filter(start_ts__lt=until)
    # a bubble's fields only: a page of 200 loads in half the time (a caller that needs more
    # adds `.defer(None)`, or the fields to TIMELINE_FIELDS)
    utterances = utterances.select_related("chunk__location").only(*TIMELINE_FIELDS).order_by("-start_ts", "-id")
    utterances = utterances.prefetch_related(
        Prefetch("duplicates", queryset=_duplicate_takes(Utterance.objects.all()), to_attr="duplicate_takes")
    )
    if q:
        utterances = search_filter(utterances, q, ranked=order == "relevance")
    return utterances


def _duplicate_takes(utterances: QuerySet) -> QuerySet:
    return utterances.only("id", "device_id", "duplicate_of").order_by("id")


def utterance_duplicate_takes(utterance: Utterance) -> list[Utterance]:
    """Other devices' takes of the utterance's words (id, device_id), oldest first: the list the
    timeline selector prefetched into `duplicate_takes` (a plain list: no manager or queryset is
    built per row, which cost about 10 ms a page of 200), else one query."""
    takes = getattr(utterance, "duplicate_takes", None)
    return takes if takes is not None else list(_duplicate_takes(utterance.duplicates.all()))


def utterance_search_highlight(utterance: Utterance, *, q: str) -> SafeString:
    """The text of a search result as HTML, escaped, with the words that matched `q` in <mark>."""
    return search_highlight(utterance, q)


def utterance_get(*, user, utterance_id: int) -> Utterance | None:
    """One of the user's utterances (None for anyone else's)."""
    return Utterance.objects.filter(user=user, id=utterance_id).select_related("chunk").first()


def utterance_spans(*, chunk_id: int) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, text) of a chunk's stored utterances."""
    return list(Utterance.objects.filter(chunk_id=chunk_id).values_list("start_ms", "end_ms", "text"))


# --- the HTML timeline's day strip and empty states ----------------------------------------


def utterance_hourly_activity(
    *, user, since: datetime, until: datetime, device_id: str | None = None
) -> dict[int, tuple[int, int]]:
    """{local hour: (spoken ms, utterance count)} of the user's utterances starting in [since,
    until), hours without speech left out. One aggregate query (GROUP BY the hour of start_ts
    in the current time zone); an utterance counts wholly in the hour it starts in."""
    utterances = _owner_utterances(user=user, device_id=device_id).filter(start_ts__gte=since, start_ts__lt=until)
    rows = (
        utterances.annotate(hour=ExtractHour("start_ts"))
        .values("hour")
        .annotate(spoken_ms=Sum(F("end_ms") - F("start_ms")), count=Count("id"))
        .order_by()
    )
    return {row["hour"]: (int(row["spoken_ms"] or 0), row["count"]) for row in rows}


def utterance_nearest(
    *, user, before: datetime, after: datetime, device_id: str | None = None
) -> tuple[datetime | None, datetime | None]:
    """start_ts of the user's last utterance before `before` and of the first at or after
    `after` (None where there is none): where the nearest speech is, from an empty day."""
    utterances = _owner_utterances(user=user, device_id=device_id)
    earlier = utterances.filter(start_ts__lt=before).order_by("-start_ts", "-id").values_list("start_ts", flat=True)
    later = utterances.filter(start_ts__gte=after).order_by("start_ts", "id").values_list("start_ts", flat=True)
    return earlier.first(), later.first()
