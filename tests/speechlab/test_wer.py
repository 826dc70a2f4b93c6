"""Word error rate (selective_speaker/speechlab/wer.py)."""

from __future__ import annotations

import pytest

from selective_speaker.speechlab.wer import normalise_text, word_error


def test_it_normalises_case_and_punctuation_for_wer():
    assert normalise_text("Hello, World! It's  well-known.") == "hello world it's well known"
    result = word_error("The birch canoe slid.", "the birch canoe slid")
    assert result["wer"] == 0.0 and result["reference_words"] == 4


def test_it_counts_word_errors():
    result = word_error("one two three four", "one too three four five")
    assert (result["substitutions"], result["deletions"], result["insertions"]) == (1, 0, 1)
    assert result["wer"] == pytest.approx(2 / 4)
    assert word_error("one two", "")["wer"] == 1.0
