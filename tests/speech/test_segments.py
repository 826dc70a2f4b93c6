from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.segments import build_segments, join_words
from selective_speaker.speech.types import Span, Word

CONFIG = EngineConfig()


def words(*items):
    """(start_ms, end_ms, text, stretch) → [(Word, stretch)]."""
    return [(Word(s, e, t, 0.9), k) for s, e, t, k in items]


def build(pairs, stretches, runs, **kw):
    return build_segments(
        pairs, CONFIG, stretches=stretches, run_of_stretch=runs, similarity_of=lambda s, e: 0.8, **kw
    )


def test_it_joins_words_whose_gap_is_at_most_500_ms():
    pairs = words((0, 400, "hello", 0), (900, 1300, "there", 1), (1900, 2500, "friend", 2))
    segments = build(pairs, [Span(0, 400), Span(900, 1300), Span(1900, 2500)], [0, 0, 0])
    assert [s.text for s in segments] == ["hello there"]  # "friend" alone lasts 600 ms: dropped
    assert segments[0].start_ms == 0 and segments[0].end_ms == 1300


def test_it_joins_words_of_one_stretch_across_false_gaps_in_word_times():
    pairs = words((0, 600, "fluent", 0), (1400, 2000, "speech", 0))
    (segment,) = build(pairs, [Span(0, 2000)], [0])
    assert segment.text == "fluent speech"


def test_it_drops_segments_shorter_than_a_second_or_six_characters():
    short_time = words((0, 300, "alright", 0))
    short_text = words((0, 1500, "ok", 0))
    assert build(short_time, [Span(0, 300)], [0]) == []
    assert build(short_text, [Span(0, 1500)], [0]) == []


def test_it_keeps_a_short_segment_the_owner_confirmed_as_theirs():
    # "Was this you?" → me on a 0.7 s card: its words are kept although shorter than a second
    pairs = words((100, 700, "tomorrow", 0))
    assert build(pairs, [Span(100, 800)], [0]) == []
    (segment,) = build(pairs, [Span(100, 800)], [0], confirmed=[(0, 800)])
    assert segment.text == "tomorrow"
    assert build(pairs, [Span(100, 800)], [0], confirmed=[(600, 800)]) == []  # mostly unconfirmed
    # their answer overrides the characters rule too: a claimed "Ok." is what they said
    assert [s.text for s in build(words((0, 500, "Ok.", 0)), [Span(0, 500)], [0], confirmed=[(0, 500)])] == ["Ok."]
    assert build(words((0, 500, "...", 0)), [Span(0, 500)], [0], confirmed=[(0, 500)]) == []  # no word in it


def test_it_never_joins_words_across_somebody_elses_speech():
    pairs = words((0, 900, "before the", 0), (1100, 2200, "interruption", 1))
    segments = build(pairs, [Span(0, 950), Span(1050, 2200)], [0, 1])
    assert [s.text for s in segments] == ["interruption"]


def test_it_snaps_outer_edges_to_the_owner_stretch():
    pairs = words((350, 800, "speaking", 0), (900, 1500, "clearly", 0))
    (segment,) = build(pairs, [Span(200, 1700)], [0])
    assert (segment.start_ms, segment.end_ms) == (200, 1700)
    assert segment.text == "speaking clearly"
    assert segment.confidence == 0.9 and segment.owner_similarity == 0.8


def test_it_marks_segments_of_uncertain_runs():
    pairs = words((0, 1200, "maybe mine", 0))
    (segment,) = build(pairs, [Span(0, 1200)], [0], uncertain_runs=frozenset({0}))
    assert segment.uncertain


def test_it_measures_the_gap_between_two_stretches_from_their_edges():
    # Whisper clips the words; the VAD says the pause between the stretches is 400 ms.
    pairs = words((150, 700, "before", 0), (1400, 1900, "after", 1))
    segments = build(pairs, [Span(0, 900), Span(1300, 2100)], [0, 0])
    assert [(s.text, s.start_ms, s.end_ms) for s in segments] == [("before after", 0, 2100)]


def test_it_splits_stretches_further_apart_than_the_gap_rule():
    pairs = words((0, 1000, "first part", 0), (1700, 2800, "second part", 1))
    segments = build(pairs, [Span(0, 1000), Span(1600, 2800)], [0, 0])
    assert [s.text for s in segments] == ["first part", "second part"]


def said(*texts):
    return [Word(i * 300, i * 300 + 250, text, 0.9) for i, text in enumerate(texts)]


def test_it_joins_a_word_split_at_its_hyphen_without_a_space():
    # faster-whisper starts a new word at the "-" token: "post-mortem" comes as "post", "-mortem"
    assert join_words(said("The", "post", "-mortem", "was", "well", "-known.")) == "The post-mortem was well-known."
    assert join_words(said("a", "well-", "known", "fact")) == "a well-known fact"


def test_it_keeps_the_spaces_around_a_dash_and_before_a_minus_sign():
    assert join_words(said("wait", "-", "what?")) == "wait - what?"
    assert join_words(said("it", "was", "-5", "degrees")) == "it was -5 degrees"
    assert join_words(said(" hello ", "", "  there")) == "hello there"


def test_segments_keep_hyphenated_words_whole():
    pairs = words((0, 400, "a", 0), (400, 900, "post", 0), (900, 1400, "-mortem", 0), (1400, 1900, "today", 0))
    (segment,) = build(pairs, [Span(0, 1900)], [0])
    assert segment.text == "a post-mortem today"
