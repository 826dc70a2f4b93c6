"""Conversations: the owner's consecutive utterances, grouped the way people remember them.

Conversations are computed, never stored. The rule lives here alone, and the timeline page, the
conversation page, the API and the exports all use it:

* utterances in time order belong to one conversation while each starts at most
  `CONVERSATION_GAP_S` seconds after the latest end so far (several devices may overlap);
* a change of place splits — both places known and different (`CONVERSATION_SPLIT_ON_PLACE`);
  an utterance without a place never splits.

A conversation's key is the id of its first utterance: stable while that utterance is kept.
`conversation_containing` resolves any utterance id to the whole conversation around it, so a key
that went stale (its first utterance deleted, an earlier recording processed since) still leads to
the right conversation, whose own key the caller can then redirect to.

"Others spoke here": where the engine decided that somebody else was speaking (the chunk's audit
record, `Chunk.decision["regions"]` with decision "other": times only, never words), the silence
between two of the owner's utterances gets a marker with how long others spoke. Regions of
several devices that overlap count once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings

from selective_speaker.speech.decision import RegionDecision
from selective_speaker.speech.types import Decision
from utterances.models import Utterance
from utterances.selectors import TIMELINE_FIELDS, utterance_get, utterance_timeline, utterances_in_order

# Others' speech shorter than this between two utterances gets no marker (a cough, a "hm").
OTHERS_MIN_MS = 1000


@dataclass(frozen=True)
class ConversationRules:
    gap_ms: int
    split_on_place: bool = True

    @classmethod
    def from_settings(cls) -> ConversationRules:
        return cls(
            gap_ms=round(settings.CONVERSATION_GAP_S * 1000), split_on_place=settings.CONVERSATION_SPLIT_ON_PLACE
        )


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


def utterance_place(utterance: Utterance) -> str:
    """The chunk's geocoded address, its coordinates while it has none yet, or ""."""
    chunk = utterance.chunk
    if chunk.location is not None and chunk.location.address:
        return chunk.location.address
    if chunk.gps_lat is not None and chunk.gps_lon is not None:
        return f"{chunk.gps_lat:.5f}, {chunk.gps_lon:.5f}"
    return ""


def place_key(utterance: Utterance) -> str | None:
    """What "the same place" compares: the address, else the position to about 100 m (GPS jitter
    between two recordings is no change of place); None where the place is unknown."""
    chunk = utterance.chunk
    if chunk.location is not None and chunk.location.address:
        return chunk.location.address
    if chunk.gps_lat is not None and chunk.gps_lon is not None:
        return f"{chunk.gps_lat:.3f},{chunk.gps_lon:.3f}"
    return None


@dataclass(frozen=True)
class OthersSpoke:
    """Somebody else spoke in the silence after `after` (an utterance id): for `ms` in all."""

    after: int
    ms: int


@dataclass
class Conversation:
    utterances: list[Utterance]
    others: list[OthersSpoke] = field(default_factory=list)

    @property
    def key(self) -> int:
        return self.utterances[0].id

    @property
    def start_ts(self) -> datetime:
        return self.utterances[0].start_ts

    @property
    def end_ts(self) -> datetime:
        return max(u.end_ts for u in self.utterances)

    @property
    def duration_ms(self) -> int:
        """From the first word to the last, silences included."""
        return round((self.end_ts - self.start_ts).total_seconds() * 1000)

    @property
    def spoken_ms(self) -> int:
        return sum(u.end_ms - u.start_ms for u in self.utterances)

    @property
    def others_ms(self) -> int:
        return sum(marker.ms for marker in self.others)

    @property
    def place(self) -> str:
        """The first known place (a conversation keeps to one, unless the place rule is off)."""
        return next((place for u in self.utterances if (place := utterance_place(u))), "")

    @property
    def device_ids(self) -> list[str]:
        return sorted({u.device_id for u in self.utterances})

    def items(self) -> Iterator[Utterance | OthersSpoke]:
        """The utterances in time order, each followed by its "others spoke" marker, if any."""
        for utterance, marker in self.rows():
            yield utterance
            if marker is not None:
                yield marker

    def rows(self) -> Iterator[tuple[Utterance, OthersSpoke | None]]:
        """(utterance, the "others spoke" marker after it or None), in time order."""
        markers = {marker.after: marker for marker in self.others}
        for utterance in self.utterances:
            yield utterance, markers.get(utterance.id)


def continues(
    previous_end: datetime, previous_place: str | None, utterance: Utterance, rules: ConversationRules
) -> bool:
    """Whether `utterance` goes on the conversation that so far ends at `previous_end`, at
    `previous_place` (None: unknown so far)."""
    if (utterance.start_ts - previous_end) > timedelta(milliseconds=rules.gap_ms):
        return False
    if rules.split_on_place and previous_place is not None:
        place = place_key(utterance)
        return place is None or place == previous_place
    return True


def conversation_runs(utterances: Iterable[Utterance], rules: ConversationRules) -> Iterator[list[Utterance]]:
    """The utterances (oldest first) cut into conversations, lazily: a caller may stop early."""
    run: list[Utterance] = []
    end: datetime | None = None
    place: str | None = None
    for utterance in utterances:
        if run and not continues(end, place, utterance, rules):
            yield run
            run, end, place = [], None, None
        run.append(utterance)
        end = utterance.end_ts if end is None else max(end, utterance.end_ts)
        place = place or place_key(utterance)
    if run:
        yield run


def other_speech_spans(chunks: Iterable[tuple[datetime, list]]) -> list[tuple[datetime, datetime]]:
    """Where others spoke, as absolute [start, end) times, overlaps merged, from (chunk start,
    the decision record's regions) pairs. Regions the engine did not decide "other" are left out."""
    spans = []
    for chunk_start, regions in chunks:
        for data in regions or []:
            if not isinstance(data, dict) or "start_ms" not in data or "end_ms" not in data:
                continue
            region = RegionDecision.from_dict(data)
            if region.decision == Decision.OTHER and region.end_ms > region.start_ms:
                start = chunk_start + timedelta(milliseconds=region.start_ms)
                spans.append((start, start + timedelta(milliseconds=region.duration_ms)))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def others_markers(utterances: Sequence[Utterance], spans: Sequence[tuple[datetime, datetime]]) -> list[OthersSpoke]:
    """For each silence between two consecutive utterances (after the latest end so far), how
    long others spoke in it; only markers of at least OTHERS_MIN_MS."""
    markers = []
    end = None
    for current, following in zip(utterances, utterances[1:]):
        end = current.end_ts if end is None else max(end, current.end_ts)
        if following.start_ts <= end:
            continue
        overlap = sum(
            ((min(s_end, following.start_ts) - max(s_start, end)).total_seconds() for s_start, s_end in spans
             if s_start < following.start_ts and s_end > end),
            0.0,
        )
        if overlap * 1000 >= OTHERS_MIN_MS:
            markers.append(OthersSpoke(after=current.id, ms=round(overlap * 1000)))
    return markers


def conversations_of(
    utterances: Iterable[Utterance],
    *,
    rules: ConversationRules,
    others: Sequence[tuple[datetime, datetime]] = (),
) -> list[Conversation]:
    """The utterances (oldest first) as conversations, with the markers of `others` (spans from
    other_speech_spans) in their silences."""
    return [Conversation(run, others_markers(run, others)) for run in conversation_runs(utterances, rules)]


# --- reads: the rows the rule runs over ------------------------------------------------------


def conversation_other_speech(utterances: Sequence[Utterance]) -> list[tuple[datetime, datetime]]:
    """Where others spoke during the chunks of `utterances`: one query, one row per chunk (the
    regions of each chunk's audit record, read through one of its utterances)."""
    one_per_chunk = {}
    for utterance in utterances:
        one_per_chunk.setdefault(utterance.chunk_id, utterance.id)
    if not one_per_chunk:
        return []
    rows = Utterance.objects.filter(id__in=one_per_chunk.values()).values_list(
        "chunk__start_ts", "chunk__decision__regions"
    )
    return other_speech_spans(rows)


def conversations_between(
    *, user, since: datetime | None = None, until: datetime | None = None, device_id: str | None = None
) -> list[Conversation]:
    """The user's conversations among the utterances starting in [since, until), oldest first
    (a conversation that runs over an end is cut there)."""
    rows = list(utterance_timeline(user=user, since=since, until=until, device_id=device_id).order_by("start_ts", "id"))
    return conversations_of(rows, rules=ConversationRules.from_settings(), others=conversation_other_speech(rows))


def conversations_page(
    *, user, after: tuple[datetime, int] | None, since=None, until=None, device_id=None, size: int
) -> tuple[list[Conversation], tuple[datetime, int] | None]:
    """At most `size` conversations, oldest first, starting at the utterance `after` (start_ts,
    id) or at `since`; and where the next page starts (None at the end). Reads only as many
    utterances as the page's conversations hold, plus the next one's first."""
    rows = utterance_timeline(user=user, since=since, until=until, device_id=device_id)
    if after is not None:  # the page starts at that utterance, included
        start_ts, utterance_id = after
        after = (start_ts, utterance_id - 1)
    rows = utterances_in_order(rows, after=after, first=min(512, size * 10))  # ten utterances a conversation
    runs = list(islice(conversation_runs(rows, ConversationRules.from_settings()), size + 1))
    following = runs[size][0] if len(runs) > size else None
    runs = runs[:size]
    others = conversation_other_speech([u for run in runs for u in run])
    page = [Conversation(run, others_markers(run, others)) for run in runs]
    return page, (None if following is None else (following.start_ts, following.id))


def conversation_containing(*, user, utterance_id: int, words: bool = False) -> Conversation | None:
    """The whole conversation (all devices) around one of the user's utterances; None for an
    utterance that is not theirs. At most CONVERSATION_MAX_UTTERANCES utterances from its start.
    `words`: with each utterance's word timings (for playback that follows the words)."""
    anchor = utterance_get(user=user, utterance_id=utterance_id)
    if anchor is None:
        return None
    rules = ConversationRules.from_settings()
    limit = settings.CONVERSATION_MAX_UTTERANCES
    timeline = utterance_timeline(user=user)
    if words:
        timeline = timeline.only(*TIMELINE_FIELDS, "words")
    # back from the anchor to the first utterance that no earlier one continues
    first = anchor
    for previous in utterances_in_order(timeline, after=(anchor.start_ts, anchor.id), backwards=True):
        if not continues(previous.end_ts, place_key(previous), first, rules):
            break
        first = previous
    rows = utterances_in_order(timeline, after=(first.start_ts, first.id - 1))
    # another device's take of the same words (utterances.merge) leads to the one kept
    wanted = getattr(anchor, "duplicate_of_id", None) or anchor.id
    for run in conversation_runs(islice(rows, limit), rules):
        if any(u.id == wanted for u in run):
            return Conversation(run, others_markers(run, conversation_other_speech(run)))
    return None
