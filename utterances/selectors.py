"""The owner's timeline: the one query behind the API and the HTML page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Sum
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


def utterances_in_order(
    utterances: QuerySet[Utterance],
    *,
    after: tuple[datetime, int] | None = None,
    backwards: bool = False,
    batch: int = 512,
    first: int = 32,
) -> Iterator[Utterance]:
    """The rows of `utterances` (utterance_timeline's) in (start_ts, id) order — oldest first, or
    newest first when `backwards` — after the row keyed `after` (excluded), read lazily in keyset
    batches of `first` rows, then twice as many each time up to `batch`: LIMIT queries along the
    timeline index, so a caller that stops early pays for little more than it read. Not
    `.iterator()`: on PostgreSQL that is a server-side cursor, which the planner plans for a
    tenth of all the rows (cursor_tuple_fraction) — a hash join over every utterance of the
    owner, about a second at a million, before the first row."""
    ordered = utterances.order_by(*(("-start_ts", "-id") if backwards else ("start_ts", "id")))
    size = min(first, batch)
    while True:
        rows = ordered
        if after is not None:
            start_ts, utterance_id = after
            if backwards:  # start_ts bounds the index range; the id only breaks a tie
                rows = rows.filter(start_ts__lte=start_ts).exclude(start_ts=start_ts, id__gte=utterance_id)
            else:
                rows = rows.filter(start_ts__gte=start_ts).exclude(start_ts=start_ts, id__lte=utterance_id)
        page = list(rows[:size])
        yield from page
        if len(page) < size:
            return
        after, size = (page[-1].start_ts, page[-1].id), min(size * 2, batch)


# What the API lists of an utterance (utterance_rows), by attribute name.
ROW_FIELDS = (
    *("id", "chunk_id", "text", "start_ts", "end_ts", "device_id", "address", "gps_lat", "gps_lon"),
    *("confidence", "uncertain", "duplicate_of_id", "has_duplicates"),
)


def utterance_rows(utterances: QuerySet[Utterance]) -> QuerySet:
    """utterance_timeline's utterances as plain named rows of ROW_FIELDS (and `rank`, and the
    `search_headline` where the database makes one, when searched): no model instances — a page
    of 200 reads in a third of the time. `has_duplicates` says whether other devices' takes of
    the row's words are hidden behind it: utterance_rows_duplicates reads those of a page."""
    rows = utterances.prefetch_related(None).annotate(
        address=F("chunk__location__address"),
        gps_lat=F("chunk__gps_lat"),
        gps_lon=F("chunk__gps_lon"),
        has_duplicates=Exists(Utterance.objects.filter(duplicate_of=OuterRef("pk"))),
    )
    searched = [name for name in ("rank", "search_headline") if name in utterances.query.annotations]
    return rows.values_list(*ROW_FIELDS, *searched, named=True)


def utterance_rows_duplicates(rows) -> dict[int, list[tuple[int, str]]]:
    """{row id: [(id, device_id) of its duplicates, oldest first]} for the rows of utterance_rows
    that have any: one query, none when no row has."""
    kept = [row.id for row in rows if row.has_duplicates]
    takes: dict[int, list[tuple[int, str]]] = {}
    if kept:
        found = Utterance.objects.filter(duplicate_of__in=kept).order_by("id")
        for kept_id, take_id, device_id in found.values_list("duplicate_of_id", "id", "device_id"):
            takes.setdefault(kept_id, []).append((take_id, device_id))
    return takes


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
