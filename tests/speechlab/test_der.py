"""Diarization error rate (selective_speaker/speechlab/der.py)."""

from __future__ import annotations

import pytest

from selective_speaker.speechlab.der import diarization_error
from selective_speaker.speechlab.rttm import SpeakerTurn


def turn(start, end, who):
    return SpeakerTurn(start, end, who)


def test_it_scores_a_perfect_diarization_under_other_labels_as_zero():
    reference = [turn(0, 2000, "alice"), turn(2000, 5000, "bob"), turn(5000, 6000, "alice")]
    hypothesis = [turn(0, 2000, "S1"), turn(2000, 5000, "S0"), turn(5000, 6000, "S1")]
    result = diarization_error(reference, hypothesis, collar_ms=0)
    assert result.der == 0.0
    assert result.mapping == {"alice": "S1", "bob": "S0"}


def test_it_splits_der_into_missed_false_alarm_and_confusion():
    reference = [turn(0, 4000, "a"), turn(4000, 8000, "b")]
    # 0-1 s missed, 1-4 s right (X=a), 4-6 s confused (X on b's speech), 6-8 s right (Y=b), 8-9 s false alarm
    hypothesis = [turn(1000, 6000, "X"), turn(6000, 9000, "Y")]
    result = diarization_error(reference, hypothesis, collar_ms=0)
    assert result.reference_ms == 8000
    assert (result.missed_ms, result.false_alarm_ms, result.confusion_ms) == (1000, 1000, 2000)
    assert result.der == pytest.approx(4000 / 8000)
    assert result.mapping == {"a": "X", "b": "Y"}


def test_it_scores_overlapped_speech_for_every_speaker():
    reference = [turn(0, 2000, "a"), turn(1000, 3000, "b")]
    hypothesis = [turn(0, 3000, "H")]  # one label throughout: b's part is missed in overlap, confused after
    result = diarization_error(reference, hypothesis, collar_ms=0)
    assert result.reference_ms == 4000
    assert result.missed_ms == 1000  # 1-2 s: two speakers, one hypothesis label
    assert result.confusion_ms == 1000  # 2-3 s: b's speech under a's label
    assert result.false_alarm_ms == 0


def test_it_leaves_the_collar_around_reference_boundaries_unscored():
    reference = [turn(0, 2000, "a"), turn(2000, 4000, "b")]
    hypothesis = [turn(0, 2200, "A"), turn(2200, 4000, "B")]  # boundary 200 ms late
    assert diarization_error(reference, hypothesis, collar_ms=0).der == pytest.approx(200 / 4000)
    strict = diarization_error(reference, hypothesis, collar_ms=250)
    assert strict.der == 0.0
    assert strict.reference_ms == 4000 - 250 - 500 - 250  # collars at 0 s, 2 s (both sides), 4 s
