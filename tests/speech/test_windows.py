from selective_speaker.speech.types import Span
from selective_speaker.speech.windows import merge_spans, overlap_ms, plan_windows, total_ms


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
