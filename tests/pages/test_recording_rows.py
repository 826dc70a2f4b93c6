"""The day's recordings as rows (pages/recording_rows.py)."""

from __future__ import annotations

from datetime import timedelta

from chunks.models import Chunk
from pages.recording_rows import RUN_GAP, recording_rows, recording_summary
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
    assert rows[0].utterances == 2 and rows[1].utterances == 0


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


def test_two_devices_recording_the_same_hours_make_a_row_each():
    """A phone and a pendant upload a chunk a minute each, their chunks interleaved in time."""
    chunks = [chunk(m, device=("phone" if m % 2 else "pendant"), utterances=1, pk=m + 1) for m in range(0, 40)]
    rows = recording_rows(chunks)
    summary = [(f"{r.starts_at:%H:%M}", f"{r.ends_at:%H:%M}", r.device_id, r.count, r.label) for r in rows]
    assert summary == [
        ("09:00", "09:39", "pendant", 20, "20 utterances"),
        ("09:01", "09:40", "phone", 20, "20 utterances"),
    ]


def test_a_device_that_stopped_recording_for_a_while_starts_a_new_row():
    assert RUN_GAP == timedelta(minutes=5)
    # 09:00–09:02, then 5 min without recording (one row still), then 6 min (a new row)
    rows = recording_rows([chunk(0), chunk(1), chunk(7), chunk(14), chunk(15)])
    assert [(f"{r.starts_at:%H:%M}", f"{r.ends_at:%H:%M}", r.count) for r in rows] == [
        ("09:00", "09:08", 3),
        ("09:14", "09:16", 2),
    ]
