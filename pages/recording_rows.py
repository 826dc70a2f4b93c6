"""The day's recordings as thin rows under the day strip, so that every part of the day is
explained: when the device recorded, for how long, and what came of it — utterances, none of the
owner's speech, a failure and its reason, still processing, waiting for a voice enrollment.

Consecutive recordings of one device that came to the same thing share a row ("09:00–09:40,
8 recordings, 40 min … none of your speech"): a pendant uploading a chunk a minute still reads in
a few lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from chunks.models import Chunk
from pages.utterance_groups import hour_anchor, spoken_duration

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


def recording_outcome(chunk: Chunk) -> str:
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

    @property
    def count(self) -> int:
        return len(self.chunk_ids)

    @property
    def length(self) -> str:
        return spoken_duration(self.duration_ms)

    @property
    def anchor(self) -> str:
        """Where the row's utterances are: the group of the hour it starts in."""
        return hour_anchor(self.starts_at.hour) if self.utterances else ""

    @property
    def label(self) -> str:
        if self.outcome == "speech":
            return f"{self.utterances} utterance{'' if self.utterances == 1 else 's'}"
        if self.outcome == Chunk.Status.FAILED and self.error:
            return f"failed: {self.error}"
        return OUTCOMES[self.outcome]


def recording_rows(chunks: Iterable[Chunk]) -> list[RecordingRow]:
    """Rows of chunks.selectors.chunk_day_recordings' chunks (oldest first), runs joined."""
    rows: list[RecordingRow] = []
    for chunk in chunks:
        outcome = recording_outcome(chunk)
        error = chunk.error if outcome == Chunk.Status.FAILED else ""
        last = rows[-1] if rows else None
        if last is None or (last.device_id, last.outcome, last.error) != (chunk.device_id, outcome, error):
            last = RecordingRow(
                starts_at=timezone.localtime(chunk.start_ts),
                ends_at=timezone.localtime(chunk.end_ts),
                device_id=chunk.device_id,
                outcome=outcome,
                error=error,
            )
            rows.append(last)
        last.ends_at = max(last.ends_at, timezone.localtime(chunk.end_ts))
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
