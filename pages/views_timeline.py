"""/timeline/: the owner's utterances, one local day at a time, or searched across all days.

Pages are keyset (cursor) pages, the API's own: an opaque `cursor` parameter. A day shows at most
`DayPage.page_size` utterances per page, oldest first, with "earlier"/"later" links beyond that,
and no COUNT query. Search results (utterances.search: every word, any order) come best match
first — or newest first with `order=newest` — `SearchPage.page_size` per page, with their count
(taken in the same pass over the matches as the page, utterances.pagination) and the matched
words highlighted.

Above a day's utterances, the day strip shows at a glance when the owner spoke (one aggregate
query), and the day's recordings follow as thin rows saying what came of each (pages/recording_rows.py).
Days, "today" and times are the owner's local ones (account.middleware puts the owner's time zone in
force; the page names it).

The page is live while it shows today, or while recordings are still processing: static/js/timeline.js
asks `processing_panel` every few seconds with the ETag of what the page shows (`live_version`); the
answer is 304 — two small aggregates (chunks.selectors.chunk_changes_stamp) — until a recording of the day or of the
processing panel changes; then the panel, and the script fetches the page again to swap in its new parts.

Each bubble can play its own stretch of the recording while the raw audio is kept, and can be
deleted — alone, or with the whole recording (chunk) it came from. The delete forms are plain POST
forms; static/js/timeline.js adds a confirmation and removes the utterances in place.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

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
from rest_framework.pagination import CursorPagination
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
from pages.forms import TimelineFilterForm, TimelineFilters
from pages.local_time import page_time_zone
from pages.navigation import back_url, wants_json
from pages.recording_rows import recording_rows, recording_summary
from pages.utterance_groups import day_strip, spoken_duration, utterances_by_conversation, utterances_by_day
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
    page_size = 500


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
        context.update(_day_strip_context(request.user, filters))
        context.update(_recordings_context(request.user, filters))
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


def _live_version(request: HttpRequest, filters: TimelineFilters | None) -> str:
    """An ETag of what a live page shows: the zone, the day, and chunk_changes_stamp."""
    since, until = (filters.since, filters.until) if filters else (None, None)
    stamp = chunk_changes_stamp(
        user=request.user, since=since, until=until, unsuccessful_since=_unsuccessful_since()
    )
    key = repr((timezone.get_current_timezone_name(), filters and (filters.day, filters.device_id), stamp))
    return f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


def _day_strip_context(user, filters: TimelineFilters) -> dict:
    activity = utterance_hourly_activity(
        user=user, since=filters.since, until=filters.until, device_id=filters.device_id
    )
    spoken_ms = sum(ms for ms, _ in activity.values())
    return {
        "strip": day_strip(activity),
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


def _recordings_context(user, filters: TimelineFilters) -> dict:
    rows = recording_rows(
        chunk_day_recordings(user=user, since=filters.since, until=filters.until, device_id=filters.device_id)
    )
    return {"recordings": rows, "recordings_summary": recording_summary(rows)}


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


