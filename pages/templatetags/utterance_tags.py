"""Template filters of the timeline page: {% load utterance_tags %}."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from pages.utterance_groups import spoken_duration, utterance_place
from utterances.selectors import utterance_duplicate_takes

register = template.Library()


@register.filter
def place(utterance) -> str:
    """{{ utterance|place }}: the address, or the coordinates while there is none yet."""
    return utterance_place(utterance)


@register.filter
def spoken(ms: int) -> str:
    """{{ check.duration_ms|spoken }}: "2 s", "3 min 20 s"."""
    return spoken_duration(ms)


@register.filter
def also_heard(utterance) -> str:
    """{{ utterance|also_heard }}: the other devices that heard the same words (utterances.merge:
    their takes are hidden behind this one), "" for none. The timeline selector prefetches them."""
    return ", ".join(sorted({duplicate.device_id for duplicate in utterance_duplicate_takes(utterance)}))


@register.filter
def hour_minute(value: datetime) -> str:
    """{{ utterance.start_ts|hour_minute }}: "09:05" in the current time zone — what `time:"H:i"`
    gives, for a tenth of its cost (every bubble shows two times)."""
    return timezone.localtime(value).strftime("%H:%M")


@register.filter
def local_iso(value: datetime) -> str:
    """{{ utterance.start_ts|local_iso }}: ISO 8601 in the current time zone, as `date:"c"` gives it."""
    return timezone.localtime(value).isoformat()


@register.filter
def clip_ms(utterance) -> int:
    """{{ utterance|clip_ms }}: how long the utterance's clip plays."""
    return utterance.end_ms - utterance.start_ms


@register.filter
def clock(ms: int) -> str:
    """{{ 64000|clock }}: a player's length, "1:04"."""
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


@register.filter
def word_spans(utterance) -> SafeString:
    """{{ utterance|word_spans }}: the utterance's words, each in a <span class="word"> with its
    time in the utterance's clip (data-start/data-end, ms), for playback that highlights the word
    being said; the plain text where it has no word timings. Every word is escaped."""
    words = [w for w in utterance.words or [] if isinstance(w, dict) and str(w.get("text", "")).strip()]
    if not words:
        return conditional_escape(utterance.text)
    spans = []
    for word in words:
        try:
            start = max(0, int(word["start_ms"]) - utterance.start_ms)
            end = max(start, int(word["end_ms"]) - utterance.start_ms)
        except (KeyError, TypeError, ValueError):
            return conditional_escape(utterance.text)
        text = conditional_escape(" ".join(str(word["text"]).split()))
        spans.append(f'<span class="word" data-start="{start}" data-end="{end}">{text}</span>')
    return mark_safe(" ".join(spans))  # every word escaped above; the times are integers


_ID = 2_147_483_647  # a placeholder id, replaced in the reversed URL


@lru_cache(maxsize=64)
def _url_pattern(name: str, prefix: str) -> str:
    return reverse(name, args=[_ID]).replace(str(_ID), "{}")


@dataclass(frozen=True)
class BubbleUrls:
    audio: str
    delete: str
    not_me: str
    chunk_delete: str


@register.filter
def bubble_urls(utterance) -> BubbleUrls:
    """{% with urls=utterance|bubble_urls %}: a bubble's four links, from patterns reversed once
    per process (500 bubbles × 4 reverse() calls cost more than the rest of the bubble)."""
    prefix = get_script_prefix()
    return BubbleUrls(
        audio=_url_pattern("timeline:utterance_audio", prefix).format(utterance.id),
        delete=_url_pattern("timeline:utterance_delete", prefix).format(utterance.id),
        not_me=_url_pattern("timeline:utterance_not_me", prefix).format(utterance.id),
        chunk_delete=_url_pattern("timeline:chunk_delete", prefix).format(utterance.chunk_id),
    )
