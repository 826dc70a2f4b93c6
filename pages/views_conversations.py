"""/timeline/conversations/<utterance id>/: one conversation (utterances.conversations), played
from start to end with the word being spoken highlighted (static/js/conversation.js), and the
downloads of a conversation or a whole day as plain text, Markdown, SRT or WebVTT
(utterances.export).

A conversation is computed, not stored: its address is the id of its first utterance, and any
of its utterances' ids redirects there, so a link stays good when the conversation grows or its
first utterance is deleted.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_safe

from chunks.selectors import chunk_device_ids
from pages.forms import TimelineFilterForm
from utterances.conversations import conversation_containing, conversations_between
from utterances.export import EXPORT_FORMATS, conversations_export, export_filename


@login_required
@require_safe
def conversation(request: HttpRequest, utterance_id: int) -> HttpResponse:
    found = conversation_containing(user=request.user, utterance_id=utterance_id, words=True)
    if found is None:
        raise Http404("No such conversation.")
    if found.key != utterance_id:
        return redirect(f"{reverse('timeline:conversation', args=[found.key])}#utterance-{utterance_id}")
    day = timezone.localdate(found.start_ts)
    day_url = f"{reverse('timeline:index')}?day={day:%Y-%m-%d}"
    return render(
        request,
        "pages/conversation/conversation.html",
        {
            "conversation": found,
            "day": day,
            "day_url": f"{day_url}#conversation-{found.key}",
            # a bubble's delete or "not me" goes back to the day: the conversation may be gone
            "back_url": day_url,
        },
    )


def _export_format(request: HttpRequest) -> str:
    format = request.GET.get("format") or "txt"
    if format not in EXPORT_FORMATS:
        raise Http404(f"No export as {format!r}: use one of {', '.join(EXPORT_FORMATS)}.")
    return format


def _download(text: str, *, stem: str, format: str) -> HttpResponse:
    response = HttpResponse(text, content_type=EXPORT_FORMATS[format][0])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(stem, format)}"'
    return response


@login_required
@require_safe
def conversation_export(request: HttpRequest, utterance_id: int) -> HttpResponse:
    """?format=txt|md|srt|vtt (default txt): the conversation around the utterance, as a file."""
    found = conversation_containing(user=request.user, utterance_id=utterance_id)
    if found is None:
        raise Http404("No such conversation.")
    format = _export_format(request)
    local = timezone.localtime(found.start_ts)
    title = f"Conversation of {date_format(local, 'l j F Y, H:i')}"
    text = conversations_export([found], format=format, title=title)
    return _download(text, stem=f"conversation-{local:%Y-%m-%d-%H%M}-{found.key}", format=format)


@login_required
@require_safe
def day_export(request: HttpRequest) -> HttpResponse:
    """?day=YYYY-MM-DD&device_id=…&format=…: the day's conversations, as the day page groups them."""
    form = TimelineFilterForm(
        request.GET, device_ids=chunk_device_ids(user=request.user), today=timezone.localdate()
    )
    filters = form.filters()
    format = _export_format(request)
    conversations = conversations_between(
        user=request.user, since=filters.since, until=filters.until, device_id=filters.device_id or None
    )
    title = date_format(filters.day, "l j F Y") + (f" ({filters.device_id})" if filters.device_id else "")
    text = conversations_export(conversations, format=format, title=title)
    return _download(text, stem=f"day-{filters.day:%Y-%m-%d}", format=format)
