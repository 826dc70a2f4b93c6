"""How utterances read on the timeline page: their place, their grouping by hour or by day, and
the day strip that shows at a glance when the owner spoke."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from utterances.models import Utterance


def utterance_place(utterance: Utterance) -> str:
    """The chunk's geocoded address, its coordinates while it has none yet, or ""."""
    chunk = utterance.chunk
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
class UtteranceGroup:
    """Consecutive utterances of one local hour (day view) or one local day (search results)."""

    starts_at: datetime  # local time, truncated to the hour or the day
    utterances: list[Utterance]
    anchor: str = ""  # the id the day strip links to (first group of each hour)

    @property
    def place(self) -> str:
        """The place every bubble of the group shares, or "" when they differ or have none."""
        places = {utterance_place(bubble) for bubble in self.utterances}
        return places.pop() if len(places) == 1 else ""


def _group(utterances: Iterable[Utterance], truncate: Callable[[datetime], datetime]) -> list[UtteranceGroup]:
    groups: list[UtteranceGroup] = []
    for utterance in utterances:
        starts_at = truncate(timezone.localtime(utterance.start_ts))
        if groups and groups[-1].starts_at == starts_at:
            groups[-1].utterances.append(utterance)
        else:
            groups.append(UtteranceGroup(starts_at=starts_at, utterances=[utterance]))
    return groups


def utterances_by_hour(utterances: Iterable[Utterance]) -> list[UtteranceGroup]:
    groups = _group(utterances, lambda local: local.replace(minute=0, second=0, microsecond=0))
    anchored: list[UtteranceGroup] = []
    seen: set[int] = set()
    for group in groups:  # a day that turns the clocks back has one hour twice
        hour = group.starts_at.hour
        anchored.append(replace(group, anchor="" if hour in seen else hour_anchor(hour)))
        seen.add(hour)
    return anchored


def utterances_by_day(utterances: Iterable[Utterance]) -> list[UtteranceGroup]:
    return _group(utterances, lambda local: local.replace(hour=0, minute=0, second=0, microsecond=0))


# --- the day strip ---------------------------------------------------------------------------

# Spoken time in an hour from which a cell gets the next shade: under 1 min, 5 min, 15 min, more.
STRIP_LEVELS_MS = (60_000, 5 * 60_000, 15 * 60_000)


def hour_anchor(hour: int) -> str:
    return f"hour-{hour:02d}"


def spoken_duration(ms: int) -> str:
    """A duration as people say it: "45 s", "3 min 20 s", "1 h 5 min"."""
    seconds = round(ms / 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class StripCell:
    """One hour of the day strip."""

    hour: int
    spoken_ms: int = 0
    count: int = 0

    @property
    def level(self) -> int:
        """0 (silent) to 4 (a quarter of an hour or more of speech)."""
        if not self.count:
            return 0
        return 1 + sum(self.spoken_ms >= bound for bound in STRIP_LEVELS_MS)

    @property
    def anchor(self) -> str:
        return hour_anchor(self.hour)

    @property
    def label(self) -> str:
        span = f"{self.hour:02d}:00–{(self.hour + 1) % 24:02d}:00"
        if not self.count:
            return f"{span}: nothing said"
        said = "utterance" if self.count == 1 else "utterances"
        return f"{span}: {self.count} {said}, {spoken_duration(self.spoken_ms)} spoken"


def day_strip(activity: dict[int, tuple[int, int]]) -> list[StripCell]:
    """24 cells, midnight to midnight, from utterances.selectors.utterance_hourly_activity."""
    return [StripCell(hour, *activity.get(hour, (0, 0))) for hour in range(24)]
