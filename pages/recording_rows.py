"""The day's recordings as thin rows under the day strip, so that every part of the day is
explained: when the device recorded, for how long, and what came of it — utterances, none of the
owner's speech, a failure and its reason, still processing, waiting for a voice enrollment.

Consecutive recordings of one device that came to the same thing share a row ("09:00–09:40,
8 recordings, 40 min … none of your speech"): a pendant uploading a chunk a minute still reads in
a few lines. Consecutive among that device's own recordings — a phone and a pendant recording the
same hours, their chunks interleaved, make a row each, not a row per chunk — and at most
`RUN_GAP` apart: a device that stopped recording for longer starts a new row, so a row's span is
time it recorded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from chunks.models import Chunk
from chunks.selectors import Recording
from pages.utterance_groups import spoken_duration

# The longest silence of a device between two recordings that still continue one row.
RUN_GAP = timedelta(minutes=5)

# What a recording came to, as the row says it (done recordings: by whether they kept speech).
OUTCOMES = {
    "speech": "with your speech",
    "silent": "none of your speech",
    Chunk.Status.FAILED: "failed",
    Chunk.Status.INDETERMINATE: "could not tell whose voice it was",
    Chunk.Status.PROCESSING: "processing",
    Chunk.Status.QUEUED: "queued for processing",
    Chunk.Status.WAITING: "waiting for your voice",
}


def recording_outcome(chunk: Recording | Chunk) -> str:
    if chunk.status == Chunk.Status.DONE:
        return "speech" if chunk.segments_count else "silent"
    return chunk.status


@dataclass
class RecordingRow:
    """One recording, or a run of consecutive recordings of one device with the same outcome."""

    starts_at: datetime  # local
    ends_at: datetime  # local
    device_id: str
    outcome: str  # an OUTCOMES key
    error: str = ""  # a failure's reason (rows of failures with different reasons stay apart)
    chunk_ids: list[int] = field(default_factory=list)
    duration_ms: int = 0
    utterances: int = 0
    href: str = ""  # where its utterances are on the timeline (views_timeline sets it), or ""

    @property
    def count(self) -> int:
        return len(self.chunk_ids)

    @property
    def length(self) -> str:
        return spoken_duration(self.duration_ms)

    @property
    def label(self) -> str:
        if self.outcome == "speech":
            return f"{self.utterances} utterance{'' if self.utterances == 1 else 's'}"
        if self.outcome == Chunk.Status.FAILED and self.error:
            return f"failed: {self.error}"
        return OUTCOMES[self.outcome]


def recording_rows(chunks: Iterable[Recording | Chunk]) -> list[RecordingRow]:
    """Rows of chunks.selectors.chunk_day_recordings' chunks (oldest first), each device's runs
    joined; in the order the rows start."""
    rows: list[RecordingRow] = []
    last_of: dict[str, RecordingRow] = {}  # each device's latest row
    zone = timezone.get_current_timezone()  # local times (once: localtime() looks it up each time)
    for chunk in chunks:
        outcome = recording_outcome(chunk)
        error = chunk.error if outcome == Chunk.Status.FAILED else ""
        starts_at, ends_at = chunk.start_ts.astimezone(zone), chunk.end_ts.astimezone(zone)
        last = last_of.get(chunk.device_id)
        if last is None or (last.outcome, last.error) != (outcome, error) or starts_at - last.ends_at > RUN_GAP:
            last = RecordingRow(
                starts_at=starts_at, ends_at=ends_at, device_id=chunk.device_id, outcome=outcome, error=error
            )
            rows.append(last)
            last_of[chunk.device_id] = last
        last.ends_at = max(last.ends_at, ends_at)
        last.chunk_ids.append(chunk.id)
        last.duration_ms += chunk.duration_ms
        last.utterances += chunk.segments_count
    return rows


def recording_summary(rows: Iterable[RecordingRow]) -> list[tuple[str, int]]:
    """[(outcome as said, number of recordings)] in OUTCOMES' order, outcomes that occur only."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + row.count
    return [(said, counts[outcome]) for outcome, said in OUTCOMES.items() if outcome in counts]
