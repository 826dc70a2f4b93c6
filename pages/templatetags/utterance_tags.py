"""Template filters of the timeline page: {% load utterance_tags %}."""

from __future__ import annotations

from django import template

from pages.utterance_groups import highlight_matches, spoken_duration, utterance_place

register = template.Library()


@register.filter
def place(utterance) -> str:
    """{{ utterance|place }}: the address, or the coordinates while there is none yet."""
    return utterance_place(utterance)


@register.filter
def highlight(text: str, query: str):
    """{{ utterance.text|highlight:q }}: escaped text with the matches of `q` in <mark>."""
    return highlight_matches(text, query)


@register.filter
def spoken(ms: int) -> str:
    """{{ check.duration_ms|spoken }}: "2 s", "3 min 20 s"."""
    return spoken_duration(ms)
