"""How segments read as utterance bubbles: their place, and their grouping by hour or by day."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from utterances.models import Segment


def bubble_place(segment: Segment) -> str:
    """The chunk's geocoded address, its coordinates while it has none yet, or ""."""
    chunk = segment.chunk
    if chunk.location is not None and chunk.location.address:
        return chunk.location.address
    if chunk.gps_lat is not None and chunk.gps_lon is not None:
        return f"{chunk.gps_lat:.5f}, {chunk.gps_lon:.5f}"
    return ""


def highlight_matches(text: str, query: str) -> SafeString:
    """`text` HTML-escaped, with every case-insensitive occurrence of `query` in <mark>.
    The text is split on the raw matches and each piece escaped on its own, so neither the
    text nor the query can inject markup, and an entity is never cut by a <mark>."""
    if not query:
        return conditional_escape(text)
    pieces = re.split(f"({re.escape(query)})", text, flags=re.IGNORECASE)
    # re.split with one capturing group: the matches are at the odd indexes
    html = "".join(
        f"<mark>{conditional_escape(piece)}</mark>" if index % 2 else conditional_escape(piece)
        for index, piece in enumerate(pieces)
    )
    return mark_safe(html)  # every piece is escaped above


@dataclass(frozen=True)
class BubbleGroup:
    """Consecutive bubbles of one local hour (day view) or one local day (search results)."""

    starts_at: datetime  # local time, truncated to the hour or the day
    bubbles: list[Segment]

    @property
    def place(self) -> str:
        """The place every bubble of the group shares, or "" when they differ or have none."""
        places = {bubble_place(bubble) for bubble in self.bubbles}
        return places.pop() if len(places) == 1 else ""


def _group(segments: Iterable[Segment], truncate: Callable[[datetime], datetime]) -> list[BubbleGroup]:
    groups: list[BubbleGroup] = []
    for segment in segments:
        starts_at = truncate(timezone.localtime(segment.start_ts))
        if groups and groups[-1].starts_at == starts_at:
            groups[-1].bubbles.append(segment)
        else:
            groups.append(BubbleGroup(starts_at=starts_at, bubbles=[segment]))
    return groups


def bubbles_by_hour(segments: Iterable[Segment]) -> list[BubbleGroup]:
    return _group(segments, lambda local: local.replace(minute=0, second=0, microsecond=0))


def bubbles_by_day(segments: Iterable[Segment]) -> list[BubbleGroup]:
    return _group(segments, lambda local: local.replace(hour=0, minute=0, second=0, microsecond=0))
