"""The day's recordings as rows (pages/recording_rows.py)."""

from __future__ import annotations

from datetime import timedelta

from chunks.models import Chunk
from pages.recording_rows import recording_rows, recording_summary
from tests.factories import T0


def chunk(minutes: int, status=Chunk.Status.DONE, *, device="phone", utterances=0, error="", seconds=60, pk=None):
    start = T0 + timedelta(minutes=minutes)
    return Chunk(
        id=pk or minutes + 1,
        device_id=device,
        start_ts=start,
        end_ts=start + timedelta(seconds=seconds),
        duration_ms=seconds * 1000,
        status=status,
        error=error,
        segments_count=utterances,
    )


def test_each_recording_says_what_came_of_it():
    rows = recording_rows(
        [
            chunk(0, utterances=2),
            chunk(5, device="watch"),
            chunk(10, Chunk.Status.FAILED, error="The audio could not be decoded."),
            chunk(15, Chunk.Status.INDETERMINATE),
            chunk(20, Chunk.Status.PROCESSING),
            chunk(25, Chunk.Status.QUEUED),
            chunk(30, Chunk.Status.WAITING),
        ]
    )
    assert [(f"{row.starts_at:%H:%M}", row.device_id, row.length, row.label) for row in rows] == [
        ("09:00", "phone", "1 min", "2 utterances"),
        ("09:05", "watch", "1 min", "none of your speech"),
        ("09:10", "phone", "1 min", "failed: The audio could not be decoded."),
        ("09:15", "phone", "1 min", "could not tell whose voice it was"),
        ("09:20", "phone", "1 min", "processing"),
        ("09:25", "phone", "1 min", "queued for processing"),
        ("09:30", "phone", "1 min", "waiting for your voice"),
    ]
    assert rows[0].anchor == "hour-09" and rows[1].anchor == ""


def test_a_run_of_the_same_outcome_on_one_device_is_one_row():
    rows = recording_rows(
        [
            chunk(0),
            chunk(1),
            chunk(2),
            chunk(3, utterances=1),
            chunk(4, utterances=3),
            chunk(5, Chunk.Status.FAILED, error="a"),
            chunk(6, Chunk.Status.FAILED, error="b"),
            chunk(7),
        ]
    )
    summary = [(f"{r.starts_at:%H:%M}", f"{r.ends_at:%H:%M}", r.count, r.length, r.label) for r in rows]
    assert summary == [
        ("09:00", "09:03", 3, "3 min", "none of your speech"),
        ("09:03", "09:05", 2, "2 min", "4 utterances"),
        ("09:05", "09:06", 1, "1 min", "failed: a"),
        ("09:06", "09:07", 1, "1 min", "failed: b"),
        ("09:07", "09:08", 1, "1 min", "none of your speech"),
    ]
    assert recording_summary(rows) == [("with your speech", 2), ("none of your speech", 4), ("failed", 2)]


def test_an_empty_day_has_no_rows():
    assert recording_rows([]) == [] and recording_summary([]) == []
