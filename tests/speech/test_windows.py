from selective_speaker.speech.types import Span
from selective_speaker.speech.windows import (
    intersect_intervals,
    intervals_ms,
    merge_intervals,
    merge_spans,
    overlap_ms,
    plan_windows,
    subtract_intervals,
    subtract_spans,
    total_ms,
)


def test_it_plans_overlapping_windows_ending_at_the_span_end():
    windows, owners = plan_windows([Span(0, 4000)], 1500, 750)
    assert windows[0] == Span(0, 1500)
    assert windows[-1] == Span(2500, 4000)
    assert all(w.duration_ms == 1500 for w in windows)
    assert set(owners) == {0}
    starts = [w.start_ms for w in windows]
    assert starts == sorted(starts)


def test_it_keeps_a_short_span_as_one_window():
    windows, owners = plan_windows([Span(100, 900), Span(2000, 5000)], 1500, 750)
    assert windows[0] == Span(100, 900)
    assert owners[0] == 0 and owners[-1] == 1


def test_it_merges_spans_across_small_gaps_only():
    merged = merge_spans([Span(1000, 2000), Span(0, 500), Span(2300, 2600), Span(4000, 4100)], max_gap_ms=300)
    assert merged == [Span(0, 500), Span(1000, 2600), Span(4000, 4100)]


def test_it_measures_overlap_and_union():
    assert overlap_ms(Span(0, 1000), Span(500, 2000)) == 500
    assert overlap_ms(Span(0, 1000), Span(1000, 2000)) == 0
    assert total_ms([Span(0, 1000), Span(500, 1500)]) == 1500


# --- (start_ms, end_ms) intervals -------------------------------------------------------------


def test_it_merges_overlapping_and_touching_intervals():
    assert merge_intervals([(500, 700), (0, 100), (50, 200), (200, 300), (900, 900)]) == [(0, 300), (500, 700)]


def test_it_intersects_and_subtracts_intervals():
    a = [(0, 1000), (2000, 3000)]
    b = [(500, 2500)]
    assert intersect_intervals(a, b) == [(500, 1000), (2000, 2500)]
    assert subtract_intervals(a, b) == [(0, 500), (2500, 3000)]
    assert subtract_intervals(b, a) == [(1000, 2000)]
    assert intervals_ms(a) == 2000


def test_it_merges_intervals_across_small_gaps_only():
    assert merge_intervals([(1000, 2000), (0, 500), (2300, 2600)], max_gap_ms=300) == [(0, 500), (1000, 2600)]


def test_it_subtracts_from_each_span_in_order_without_merging_them():
    # as the anchored strategy needs it: owner turns minus the other voices' turns
    spans = [Span(0, 1000), Span(1000, 3000)]
    assert subtract_spans(spans, [Span(500, 1500)]) == [Span(0, 500), Span(1500, 3000)]
    assert subtract_spans(spans, []) == spans
