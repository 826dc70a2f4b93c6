"""The window played around a short stretch of a recording (chunks.clips.clip_window)."""

from __future__ import annotations

import pytest

from chunks.clips import clip_window


@pytest.mark.parametrize(
    "start_ms, end_ms, length_ms, window",
    [
        (4000, 4800, 10_000, (2900, 5900)),  # 0.8 s: widened evenly to 3 s
        (3000, 5500, 10_000, (2000, 6500)),  # a second of context on each side
        (200, 900, 10_000, (0, 3000)),  # at the start: moved inside the recording
        (9500, 9900, 10_000, (7000, 10_000)),  # at the end, likewise
        (200, 900, 1000, (0, 1000)),  # a recording shorter than the window: all of it
        (4000, 4800, None, (2900, 5900)),  # length unknown: not cut at the end
        (100, 300, 0, (0, 3000)),
    ],
)
def test_it_plays_a_stretch_with_context(start_ms, end_ms, length_ms, window):
    assert clip_window(start_ms, end_ms, length_ms=length_ms) == window


def test_it_takes_other_amounts_of_context():
    assert clip_window(4000, 4800, length_ms=10_000, context_ms=0, min_ms=0) == (4000, 4800)
    assert clip_window(4000, 4800, length_ms=10_000, context_ms=2000, min_ms=3000) == (2000, 6800)
