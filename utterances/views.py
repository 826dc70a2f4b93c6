"""/timeline/: the owner's utterance bubbles, one local day at a time, or searched across all days.

Pages are keyset (cursor) pages, the API's own: an opaque `cursor` parameter, no COUNT query, so
a search over a million segments costs one LIMIT query per page. A day shows at most
`DayPage.page_size` bubbles per page, oldest first, with "earlier"/"later" links beyond that;
search results come newest first, `SearchPage.page_size` per page, with "older"/"newer" links.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from chunks.selectors import CHUNK_PENDING_STATUSES, chunk_device_ids, chunk_in_progress
from enrollment.selectors import enrollment_list, enrollment_ready_exists
from utterances.bubbles import bubbles_by_day, bubbles_by_hour
from utterances.forms import TimelineFilterForm, TimelineFilters
from utterances.models import Segment
from utterances.selectors import utterance_timeline

# Failed and indeterminate chunks stay in the processing panel this long after their upload.
PANEL_SHOWS_UNSUCCESSFUL_FOR = timedelta(days=7)
PANEL_MAX_CHUNKS = 20


class BubblePage(CursorPagination):
    def bubbles(self, queryset, request: HttpRequest) -> list[Segment]:
        try:
            page = self.paginate_queryset(queryset, Request(request))
        except (NotFound, ValidationError) as error:  # a cursor that was not ours
            raise Http404("Invalid page cursor.") from error
        # links relative to this page, right behind any proxy (DRF makes them absolute)
        self.base_url = request.get_full_path()
        return page


class DayPage(BubblePage):
    ordering = ("start_ts", "id")
    page_size = 500


class SearchPage(BubblePage):
    ordering = ("-start_ts", "-id")
    page_size = 50


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    device_ids = chunk_device_ids(user=request.user)
    form = TimelineFilterForm(request.GET, device_ids=device_ids, today=timezone.localdate())
    filters = form.filters()
    page = SearchPage() if filters.q else DayPage()
    bubbles = page.bubbles(_timeline_segments(request.user, filters), request)
    enrollment_ready = enrollment_ready_exists(user=request.user)
    context = {
        "form": form,
        "filters": filters,
        "groups": bubbles_by_day(bubbles) if filters.q else bubbles_by_hour(bubbles),
        "bubble_count": len(bubbles),
        "previous_url": page.get_previous_link(),
        "next_url": page.get_next_link(),
        "has_chunks": bool(device_ids),
        "enrollment_ready": enrollment_ready,
        "latest_enrollment": None if enrollment_ready else enrollment_list(user=request.user).first(),
        **_processing_panel_context(request.user),
    }
    return render(request, "utterances/timeline.html", context)


@login_required
@require_GET
def processing_panel(request: HttpRequest) -> HttpResponse:
    """The processing panel alone, for static/js/timeline.js to refresh in place."""
    return render(request, "utterances/processing_panel.html", _processing_panel_context(request.user))


def _timeline_segments(user, filters: TimelineFilters):
    if filters.q:
        return utterance_timeline(user=user, device_id=filters.device_id, q=filters.q)
    return utterance_timeline(user=user, since=filters.since, until=filters.until, device_id=filters.device_id)


def _processing_panel_context(user) -> dict:
    since = timezone.now() - PANEL_SHOWS_UNSUCCESSFUL_FOR
    chunks = list(chunk_in_progress(user=user, unsuccessful_since=since)[: PANEL_MAX_CHUNKS + 1])
    return {
        "processing_chunks": chunks[:PANEL_MAX_CHUNKS],
        "processing_more": len(chunks) > PANEL_MAX_CHUNKS,
        "processing_active": any(chunk.status in CHUNK_PENDING_STATUSES for chunk in chunks),
    }
