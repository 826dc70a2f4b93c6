"""How utterances read on the timeline page: a day's bubbles grouped by conversation, search
results by day, and the day strip that shows at a glance when the owner spoke.

The conversation rule itself (gap, place) is utterances.conversations'; this module only lays its
conversations out for the page: each bubble that is the first of its local hour carries that
hour's anchor, which the day strip links to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from utterances.conversations import (
    Conversation,
    ConversationRules,
    conversation_other_speech,
    conversations_of,
    spoken_duration,
    utterance_place,
)
from utterances.models import Utterance

__all__ = ["spoken_duration", "utterance_place"]  # the template filters' helpers


def utterances_by_conversation(utterances: Sequence[Utterance]) -> list[Conversation]:
    """A day's utterances (oldest first) as conversations, with where others spoke between them
    (one query), and the first bubble of each local hour with `hour_anchor` set (the day strip's
    links; a day that turns the clocks back has one hour twice, anchored once)."""
    seen: set[int] = set()
    for utterance in utterances:
        hour = timezone.localtime(utterance.start_ts).hour
        utterance.hour_anchor = "" if hour in seen else hour_anchor(hour)
        seen.add(hour)
    others = conversation_other_speech(utterances)
    return conversations_of(utterances, rules=ConversationRules.from_settings(), others=others)


@dataclass(frozen=True)
class UtteranceGroup:
    """Consecutive utterances of one local day (search results)."""

    starts_at: datetime  # local midnight of the day
    utterances: list[Utterance]

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


def utterances_by_day(utterances: Iterable[Utterance]) -> list[UtteranceGroup]:
    return _group(utterances, lambda local: local.replace(hour=0, minute=0, second=0, microsecond=0))


# --- the day strip ---------------------------------------------------------------------------

# Spoken time in an hour from which a cell gets the next shade: under 1 min, 5 min, 15 min, more.
STRIP_LEVELS_MS = (60_000, 5 * 60_000, 15 * 60_000)


def hour_anchor(hour: int) -> str:
    return f"hour-{hour:02d}"


@dataclass(frozen=True)
class StripCell:
    """One hour of the day strip."""

    hour: int
    spoken_ms: int = 0
    count: int = 0
    href: str = ""  # where the hour's utterances are (views_timeline: this page or another)

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


def day_strip(activity: dict[int, tuple[int, int]], links: dict[int, str] | None = None) -> list[StripCell]:
    """24 cells, midnight to midnight, from utterances.selectors.utterance_hourly_activity; each
    hour with speech links to `links[hour]`, else to its anchor on this page."""
    links = links or {}
    return [
        StripCell(hour, *activity.get(hour, (0, 0)), href=links.get(hour, f"#{hour_anchor(hour)}"))
        for hour in range(24)
    ]
