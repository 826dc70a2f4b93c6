"""/timeline/: the owner's utterances, one local day at a time, or searched across all days.

Pages are keyset (cursor) pages, the API's own: an opaque `cursor` parameter. A day shows
TIMELINE_DAY_PAGE_SIZE utterances per page, oldest first, with "earlier"/"later" links, and no
COUNT query. Search results (utterances.search: every word, any order) come best match first — or
newest first with `order=newest` — `SearchPage.page_size` per page, with their count (taken in the
same pass over the matches as the page, utterances.pagination) and the matched words highlighted.

Above a day's utterances, the day strip shows at a glance when the owner spoke, each hour a link
to where it starts (on this page, or the day's page that starts there), and the day's recordings
follow as thin rows saying what came of each (pages/recording_rows.py), linked the same way. Both
are read once per change of the day (pages/day_cache.py). Days, "today" and times are the owner's
local ones (account.middleware puts the owner's time zone in force; the page names it).

The page is live while it shows today, or while recordings are still processing: static/js/timeline.js
asks `processing_panel` every few seconds with the ETag of what the page shows (`live_version`); the
answer is 304 — two small aggregates (chunks.selectors.chunk_changes_stamp) — until a recording of the day or of the
processing panel changes; then the panel, and the script fetches the page again to swap in its new parts.

Each bubble can play its stretch of the recording while the audio is kept, and can be deleted — alone,
or with its whole recording (chunk): plain POST forms; static/js/timeline.js confirms, removes in place.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from chunks.clips import chunk_clip_response
from chunks.selectors import (
    CHUNK_PENDING_STATUSES,
    chunk_changes_stamp,
    chunk_day_recordings,
    chunk_device_ids,
    chunk_get,
    chunk_in_progress,
)
from chunks.services import chunk_delete
from enrollment.selectors import enrollment_list, enrollment_ready_exists
from pages.day_cache import day_cached
from pages.forms import TimelineFilterForm, TimelineFilters
from pages.local_time import page_time_zone
from pages.navigation import back_url, wants_json
from pages.recording_rows import recording_rows, recording_summary
from pages.utterance_groups import (
    day_strip,
    hour_anchor,
    spoken_duration,
    utterances_by_conversation,
    utterances_by_day,
)
from review.selectors import voice_checks_pending
from selective_speaker.audio_files import StorageUnavailable
from utterances.models import Utterance
from utterances.pagination import SearchCursorPagination
from utterances.search import SEARCH_ORDERS
from utterances.selectors import (
    utterance_get,
    utterance_hourly_activity,
    utterance_nearest,
    utterance_search_highlight,
    utterance_timeline,
)
from utterances.services import utterance_delete

log = logging.getLogger(__name__)


class TimelinePage(CursorPagination):
    def utterances(self, queryset, request: HttpRequest) -> list[Utterance]:
        try:
            page = self.paginate_queryset(queryset, Request(request))
        except (NotFound, ValidationError) as error:  # a cursor that was not ours
            raise Http404("Invalid page cursor.") from error
        # links relative to this page, right behind any proxy (DRF makes them absolute)
        self.base_url = request.get_full_path()
        return page


class DayPage(TimelinePage):
    ordering = ("start_ts", "id")

    def get_page_size(self, request) -> int:
        return settings.TIMELINE_DAY_PAGE_SIZE

    def link_at(self, when: datetime) -> str:
        """The page of the day that starts with the first utterance at or after `when`."""
        # a position is "after the row with this start_ts": a microsecond before `when`
        position = (when - timedelta(microseconds=1)).isoformat()
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=position))


class SearchPage(SearchCursorPagination, TimelinePage):
    """Best match first, then newest (utterances.search)."""

    page_size = 50


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    device_ids = chunk_device_ids(user=request.user)
    form = TimelineFilterForm(request.GET, device_ids=device_ids, today=timezone.localdate())
    filters = form.filters()
    order = _search_order(request)
    page = SearchPage() if filters.q else DayPage()
    utterances = page.utterances(_timeline_utterances(request.user, filters, order), request)
    enrollment_ready = enrollment_ready_exists(user=request.user)
    context = {
        "form": form,
        "filters": filters,
        "groups": utterances_by_day(utterances) if filters.q else utterances_by_conversation(utterances),
        "utterance_count": len(utterances),
        "previous_url": page.get_previous_link(),
        "next_url": page.get_next_link(),
        "has_chunks": bool(device_ids),
        "enrollment_ready": enrollment_ready,
        "latest_enrollment": None if enrollment_ready else enrollment_list(user=request.user).first(),
        "back_url": request.get_full_path(),
        **_processing_panel_context(request, None if filters.q else filters),
    }
    if filters.q:
        context.update(_search_context(page, utterances, filters, order))
        context["zone_abbreviation"] = page_time_zone(request).abbreviation_now
    else:
        version = _day_version(request, filters)
        activity = day_cached(
            version,
            "activity",
            lambda: utterance_hourly_activity(
                user=request.user, since=filters.since, until=filters.until, device_id=filters.device_id
            ),
        )
        links = _hour_links(page, utterances, filters, hours=activity, after_earlier=bool(context["previous_url"]))
        context.update(_day_strip_context(activity, links))
        context.update(_recordings_context(request, filters, page, utterances, version))
        context["zone_abbreviation"] = page_time_zone(request).abbreviations(filters.since, filters.until)
        context["voice_checks"] = list(
            voice_checks_pending(user=request.user, since=filters.since, until=filters.until)[
                : settings.TIMELINE_VOICE_CHECKS_MAX
            ]
        )
        if not utterances and device_ids:
            context.update(_nearest_days_context(request.user, filters))
    return render(request, "pages/timeline/timeline.html", context)


@login_required
@require_GET
def processing_panel(request: HttpRequest) -> HttpResponse:
    """The processing panel alone, for static/js/timeline.js to refresh in place; with `day` (and
    `device_id`), the panel of that day's page. If-None-Match with the version the page shows:
    304 while nothing changed (the live timeline's poll), else the panel with its new version."""
    filters = _live_filters(request)
    version = _live_version(request, filters)
    unchanged = get_conditional_response(request, etag=version)
    if unchanged is None:
        response = render(request, "pages/timeline/processing_panel.html", _processing_panel_context(request, filters))
    else:
        response = unchanged
    response["ETag"] = version
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _live_filters(request: HttpRequest) -> TimelineFilters | None:
    """The day (and device) whose page asks, or None for a page without one (search results)."""
    if not request.GET.get("day"):
        return None
    # the device as asked, not checked against the owner's devices (a query per poll): every read
    # here is the owner's own, and a device without recordings has none to count
    device_ids = [request.GET.get("device_id", "")]
    return TimelineFilterForm(request.GET, device_ids=device_ids, today=timezone.localdate()).filters()


def _changes_stamp(request: HttpRequest, filters: TimelineFilters | None) -> tuple:
    """chunk_changes_stamp of the page's day (if any) and panel: read once per request."""
    since, until = (filters.since, filters.until) if filters else (None, None)
    asked = (since, until)
    if getattr(request, "_changes_stamp", (None, None))[0] != asked:
        stamp = chunk_changes_stamp(
            user=request.user, since=since, until=until, unsuccessful_since=_unsuccessful_since()
        )
        request._changes_stamp = (asked, stamp)
    return request._changes_stamp[1]


def _version(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _day_version(request: HttpRequest, filters: TimelineFilters) -> str:
    """What changes with any of the day's recordings (pages/day_cache.py)."""
    _, day_stamp = _changes_stamp(request, filters)
    zone = timezone.get_current_timezone_name()
    return _version(request.user.pk, zone, filters.day, filters.device_id, day_stamp)


def _live_version(request: HttpRequest, filters: TimelineFilters | None) -> str:
    """An ETag of what a live page shows: the zone, the day, and chunk_changes_stamp."""
    stamp = _changes_stamp(request, filters)
    return f'"{_version(timezone.get_current_timezone_name(), filters and (filters.day, filters.device_id), stamp)}"'


def _hour_links(page: DayPage, utterances, filters: TimelineFilters, *, hours, after_earlier: bool) -> dict[int, str]:
    """{local hour: link} for each hour of the day with speech (`hours`): its anchor on this page
    when it starts here (the bubbles' hour_anchor; a page after earlier ones starts inside its
    first hour), else the page of the day that starts at that hour, then its anchor."""
    here = {utterance.hour_anchor for utterance in utterances if utterance.hour_anchor}
    if utterances and after_earlier:
        here.discard(utterances[0].hour_anchor)
    links = {}
    for hour in hours:
        anchor = f"#{hour_anchor(hour)}"
        if anchor[1:] in here:
            links[hour] = anchor
        else:
            starts = timezone.make_aware(datetime.combine(filters.day, time(hour)))
            links[hour] = page.link_at(starts) + anchor
    return links


def _day_strip_context(activity: dict[int, tuple[int, int]], links: dict[int, str]) -> dict:
    spoken_ms = sum(ms for ms, _ in activity.values())
    return {
        "strip": day_strip(activity, links),
        "strip_spoken": spoken_duration(spoken_ms) if activity else "",
        "strip_count": sum(count for _, count in activity.values()),
    }


def _nearest_days_context(user, filters: TimelineFilters) -> dict:
    before, after = utterance_nearest(
        user=user, before=filters.since, after=filters.until, device_id=filters.device_id
    )
    return {
        "nearest_before": timezone.localdate(before) if before else None,
        "nearest_after": timezone.localdate(after) if after else None,
    }


def _timeline_utterances(user, filters: TimelineFilters, order: str):
    if filters.q:
        return utterance_timeline(user=user, device_id=filters.device_id, q=filters.q, order=order)
    return utterance_timeline(user=user, since=filters.since, until=filters.until, device_id=filters.device_id)


def _search_order(request: HttpRequest) -> str:
    """Search results best match first, unless the query string asks for `order=newest`."""
    order = request.GET.get("order", "")
    return order if order in SEARCH_ORDERS else SEARCH_ORDERS[0]


def _search_context(page: SearchPage, utterances: list[Utterance], filters: TimelineFilters, order: str) -> dict:
    """How many utterances match in all, and each bubble's text with the matches marked."""
    for utterance in utterances:
        utterance.highlight = utterance_search_highlight(utterance, q=filters.q)
    ranked = any(utterance.rank for utterance in utterances)
    return {"result_count": page.count, "search_order": order, "search_ranked": ranked}


def _unsuccessful_since():
    return timezone.now() - timedelta(days=settings.TIMELINE_PANEL_UNSUCCESSFUL_DAYS)


def _processing_panel_context(request: HttpRequest, filters: TimelineFilters | None) -> dict:
    """The panel, and how the page stays live: `filters` is the day page's, None elsewhere."""
    user = request.user
    chunks = list(
        chunk_in_progress(user=user, unsuccessful_since=_unsuccessful_since())[: settings.TIMELINE_PANEL_MAX_CHUNKS + 1]
    )
    active = any(chunk.status in CHUNK_PENDING_STATUSES for chunk in chunks)
    query = {"day": filters.day.isoformat(), "device_id": filters.device_id} if filters else {}
    return {
        "processing_chunks": chunks[:settings.TIMELINE_PANEL_MAX_CHUNKS],
        "processing_more": len(chunks) > settings.TIMELINE_PANEL_MAX_CHUNKS,
        "processing_active": active,
        "pending_statuses": CHUNK_PENDING_STATUSES,
        "processing_url": reverse("timeline:processing") + ("?" + urlencode(query) if query else ""),
        "live": active or bool(filters and filters.day == filters.today),
        "live_version": _live_version(request, filters),
    }


def _recordings_context(request: HttpRequest, filters: TimelineFilters, page: DayPage, utterances, version) -> dict:
    """The day's recording rows, each with speech linked to its first bubble on this page, or to
    the page of the day that starts where it starts; TIMELINE_RECORDING_ROWS_MAX of them unless
    the query string asks for `recordings=all`."""
    rows = day_cached(
        version,
        "recordings",
        lambda: recording_rows(
            chunk_day_recordings(
                user=request.user, since=filters.since, until=filters.until, device_id=filters.device_id
            )
        ),
    )
    shown = rows if request.GET.get("recordings") == "all" else rows[: settings.TIMELINE_RECORDING_ROWS_MAX]
    first_bubble: dict[int, int] = {}  # chunk id: its first utterance on this page
    for utterance in utterances:
        first_bubble.setdefault(utterance.chunk_id, utterance.id)
    for row in shown:
        if row.utterances:
            here = next((first_bubble[chunk] for chunk in row.chunk_ids if chunk in first_bubble), None)
            row.href = f"#utterance-{here}" if here else page.link_at(row.starts_at)
    return {
        "recordings": shown,
        "recordings_summary": recording_summary(rows),
        "recordings_total": len(rows),
        "recordings_hidden": sum(row.count for row in rows[len(shown):]),
    }


# --- one utterance: its audio, deleting it or its whole recording --------------------------

AUDIO_GONE_MESSAGE = (
    "The recording of this utterance is no longer kept (recordings are deleted after "
    "processing or after a while, as the server is set up to do). The words stay on your timeline."
)


@login_required
@require_safe
def utterance_audio(request: HttpRequest, utterance_id: int) -> HttpResponse:
    """The utterance's own stretch of its recording as a WAV file, with Range support so that
    players can seek. 404 for anyone else's utterance; 410 once the recording is deleted."""
    utterance = utterance_get(user=request.user, utterance_id=utterance_id)
    if utterance is None:
        raise Http404("No such utterance.")
    return chunk_clip_response(
        request,
        utterance.chunk,
        start_ms=utterance.start_ms,
        end_ms=utterance.end_ms,
        name=f"utterance-{utterance.id}",
        gone_message=AUDIO_GONE_MESSAGE,
    )


@login_required
@require_POST
def utterance_delete_view(request: HttpRequest, utterance_id: int) -> HttpResponse:
    utterance = utterance_get(user=request.user, utterance_id=utterance_id)
    if utterance is None:
        raise Http404("No such utterance.")
    utterance_delete(utterance=utterance)
    said = Truncator(utterance.text).words(8)
    if wants_json(request):
        return JsonResponse({"deleted": {"segments": [utterance_id]}, "message": f"Deleted “{said}”."})
    messages.success(request, f"Deleted “{said}”.")
    return redirect(back_url(request))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def chunk_delete_view(request: HttpRequest, chunk_id: int) -> HttpResponse:
    """GET: what deleting the recording removes, and the button (no JavaScript needed).
    POST: delete the recording, its audio and every utterance taken from it."""
    chunk = chunk_get(user=request.user, chunk_id=chunk_id)
    if chunk is None:
        raise Http404("No such recording.")
    if request.method != "POST":
        return render(request, "pages/timeline/chunk_delete.html", {"chunk": chunk, "back_url": back_url(request)})
    count = chunk.segments_count
    when = date_format(timezone.localtime(chunk.start_ts), "H:i \\o\\n j M Y")
    try:
        chunk_delete(chunk=chunk)
    except StorageUnavailable:
        log.exception("chunk %s: deleting it failed", chunk.id)
        problem = "The recording could not be deleted right now (file storage unavailable). Try again in a moment."
        if wants_json(request):
            return JsonResponse({"error": problem}, status=503)
        messages.error(request, problem)
        return redirect(back_url(request))
    done = f"Deleted the recording from {chunk.device_id} at {when}"
    done += f" and its {count} utterance{'' if count == 1 else 's'}." if count else "."
    if wants_json(request):
        return JsonResponse({"deleted": {"chunk": chunk_id}, "message": done})
    messages.success(request, done)
    return redirect(back_url(request))


