"""Interval arithmetic on milliseconds, and the planning of embedding windows.

Intervals are (start_ms, end_ms) pairs, half-open; the `Span` helpers are the same arithmetic on
the engine's Span objects. The measurement tooling (selective_speaker.speechlab) scores with
these too.
"""

from __future__ import annotations

from collections.abc import Iterable

from .types import Span

Interval = tuple[int, int]


def merge_intervals(intervals: Iterable[Interval], max_gap_ms: int = 0) -> list[Interval]:
    """Sorted, non-overlapping union, joining intervals at most `max_gap_ms` apart; empty and
    inverted intervals are dropped."""
    merged: list[Interval] = []
    for start, end in sorted((int(s), int(e)) for s, e in intervals if e > s):
        if merged and start - merged[-1][1] <= max_gap_ms:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect_intervals(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The time both cover, as a sorted, non-overlapping list."""
    a, b = merge_intervals(a), merge_intervals(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract_intervals(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The parts of each interval of `a`, in `a`'s order, that `b` does not cover.

    `a` is not merged first: sorted, non-overlapping `a` gives a sorted, non-overlapping result.
    """
    out: list[Interval] = []
    cuts = merge_intervals(b)
    for start, end in a:
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                out.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def intervals_ms(intervals: Iterable[Interval]) -> int:
    """Time covered by the intervals (overlaps counted once)."""
    return sum(end - start for start, end in merge_intervals(intervals))


def span_intervals(spans: Iterable[Span]) -> list[Interval]:
    return [(s.start_ms, s.end_ms) for s in spans]


def plan_windows(spans: list[Span], window_ms: int, hop_ms: int) -> tuple[list[Span], list[int]]:
    """Windows of `window_ms` every `hop_ms` inside each span; the last one ends at the span end.

    A span shorter than a window is one window of its own length. Returns the windows and,
    for each, the index of its span.
    """
    windows: list[Span] = []
    owners: list[int] = []
    for index, span in enumerate(spans):
        if span.duration_ms <= window_ms:
            windows.append(span)
            owners.append(index)
            continue
        start = span.start_ms
        while start + window_ms < span.end_ms:
            windows.append(Span(start, start + window_ms))
            owners.append(index)
            start += hop_ms
        windows.append(Span(span.end_ms - window_ms, span.end_ms))
        owners.append(index)
    return windows, owners


def merge_spans(spans: Iterable[Span], max_gap_ms: int = 0) -> list[Span]:
    """Sorted union of spans, joining those separated by at most `max_gap_ms`."""
    return [Span(start, end) for start, end in merge_intervals(span_intervals(spans), max_gap_ms)]


def subtract_spans(spans: Iterable[Span], remove: Iterable[Span]) -> list[Span]:
    """The parts of each span, in order, that no span of `remove` covers."""
    return [Span(start, end) for start, end in subtract_intervals(span_intervals(spans), span_intervals(remove))]


def overlap_ms(a: Span, b: Span) -> int:
    return max(0, min(a.end_ms, b.end_ms) - max(a.start_ms, b.start_ms))


def total_ms(spans: Iterable[Span]) -> int:
    return intervals_ms(span_intervals(spans))
