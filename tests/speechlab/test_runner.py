"""One case through the engine, scored (selective_speaker/speechlab/runner.py)."""

from __future__ import annotations

from selective_speaker.speechlab.rttm import SpeakerTurn
from selective_speaker.speechlab.runner import from_time


def test_it_scores_only_from_the_given_time_on():
    turns = [SpeakerTurn(0, 5000, "me"), SpeakerTurn(5000, 9000, "you"), SpeakerTurn(9500, 12000, "me")]
    kept = [(1000, 4000), (7000, 11000)]
    regions = [{"start_ms": 0, "end_ms": 5000, "decision": "owner"}, {"start_ms": 5000, "end_ms": 9000, "decision": "other"}]
    t, k, r = from_time(turns, kept, regions, 6000)
    assert t == [SpeakerTurn(6000, 9000, "you"), SpeakerTurn(9500, 12000, "me")]  # times stay absolute
    assert k == [(7000, 11000)]
    assert r == [{"start_ms": 6000, "end_ms": 9000, "decision": "other"}]
    assert from_time(turns, kept, regions, 0) == (turns, kept, regions)
