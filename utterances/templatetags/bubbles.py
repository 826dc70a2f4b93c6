"""Template filters of the timeline page: {% load bubbles %}."""

from __future__ import annotations

from django import template

from utterances.bubbles import bubble_place, highlight_matches

register = template.Library()


@register.filter
def place(segment) -> str:
    """{{ segment|place }}: the address, or the coordinates while there is none yet."""
    return bubble_place(segment)


@register.filter
def highlight(text: str, query: str):
    """{{ segment.text|highlight:q }}: escaped text with the matches of `q` in <mark>."""
    return highlight_matches(text, query)
