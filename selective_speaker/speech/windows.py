"""Interval arithmetic on millisecond spans, and the planning of embedding windows."""

from __future__ import annotations

from collections.abc import Iterable

from .types import Span


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
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start_ms):
        if span.end_ms <= span.start_ms:
            continue
        if merged and span.start_ms - merged[-1].end_ms <= max_gap_ms:
            last = merged[-1]
            merged[-1] = Span(last.start_ms, max(last.end_ms, span.end_ms))
        else:
            merged.append(span)
    return merged


def overlap_ms(a: Span, b: Span) -> int:
    return max(0, min(a.end_ms, b.end_ms) - max(a.start_ms, b.start_ms))


def total_ms(spans: Iterable[Span]) -> int:
    return sum(s.duration_ms for s in merge_spans(spans))
