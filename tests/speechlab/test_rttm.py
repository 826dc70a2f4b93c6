"""RTTM parsing, clipping and errors (selective_speaker/speechlab/rttm.py)."""

from __future__ import annotations

import pytest

from selective_speaker.speechlab.rttm import ManifestError, SpeakerTurn, clip_turns, parse_rttm


def turn(start, end, who):
    return SpeakerTurn(start, end, who)


def test_it_parses_rttm_speaker_lines_in_ms():
    text = (
        ";; a comment\n"
        "SPEAKER conv 1 0.300 13.310 <NA> <NA> alice <NA> <NA>\n"
        "\n"
        "SPKR-INFO conv 1 <NA> <NA> <NA> unknown alice <NA> <NA>\n"
        "SPEAKER conv 1 14.387 8.110 <NA> <NA> bob <NA> <NA>\n"
    )
    assert parse_rttm(text) == [turn(300, 13610, "alice"), turn(14387, 22497, "bob")]


def test_it_names_the_line_of_a_malformed_rttm():
    with pytest.raises(ManifestError, match="line 2"):
        parse_rttm("SPEAKER c 1 0 1 <NA> <NA> a <NA> <NA>\nSPEAKER c 1 x 1 <NA> <NA> b <NA> <NA>\n")
    with pytest.raises(ManifestError, match="8\\+ fields"):
        parse_rttm("SPEAKER c 1 0 1\n")


def test_it_clips_turns_to_a_slice_and_shifts_them():
    turns = [turn(0, 1000, "a"), turn(900, 3000, "b"), turn(5000, 6000, "a")]
    assert clip_turns(turns, 500, 2000) == [turn(0, 500, "a"), turn(400, 1500, "b")]
