"""The real cases' enrollment and test slices (selective_speaker/speechlab/manifests/realistic_real.py)."""

from __future__ import annotations

from selective_speaker.speech.windows import intersect_intervals, intervals_ms
from selective_speaker.speechlab.manifests.realistic_real import (
    AMI_MS,
    AMI_RTTM,
    call_enrollment,
    meeting_owners,
    other_part,
    real_cases,
    solo_stretches,
)
from selective_speaker.speechlab.rttm import SpeakerTurn, clip_turns, read_rttm, speaker_intervals

from .conftest import DATA_ROOT, needs_shared_data


def T(start, end, who):
    return SpeakerTurn(start, end, who)


def test_it_finds_solo_stretches_of_a_second_or_more():
    turns = [T(0, 5000, "a"), T(2000, 2500, "b"), T(6000, 6800, "a"), T(7000, 9000, "b")]
    assert solo_stretches(turns, "a") == [(0, 2000), (2500, 5000)]  # 6.0-6.8 s is under a second
    assert solo_stretches(turns, "b") == [(7000, 9000)]


def test_it_enrolls_in_one_part_and_tests_on_the_other():
    turns = [T(0, 4000, "a"), T(5000, 16000, "a"), T(16500, 20000, "b"), T(21000, 30000, "a")]
    stretches, (lo, hi) = other_part(turns, "a", 30_000)
    assert stretches == [(5000, 15000)]  # from the longest solo stretch on, 10 s
    assert (lo, hi) == (15500, 30_000)  # the side with more of a's speech, 0.5 s away
    assert not intersect_intervals(stretches, [(lo, hi)])


def test_it_starts_scoring_a_call_after_both_enrollments():
    turns = [T(0, 6000, "x"), T(6500, 12000, "y"), T(13000, 18000, "x"), T(19000, 24000, "y"), T(30000, 40000, "x")]
    enroll, score_from = call_enrollment(turns)
    assert enroll == {"x": [(0, 6000), (13000, 17000)], "y": [(6500, 12000), (19000, 23500)]}
    assert score_from == 24000  # 0.5 s after the later end, rounded up to 100 ms


@needs_shared_data
def test_it_builds_real_cases_with_enrollment_apart_from_what_is_scored():
    ami = read_rttm(DATA_ROOT / AMI_RTTM)
    assert meeting_owners(ami) == ["FEE013", "FEE016", "MEO015"]  # MEE014 says 1.2 s
    cases = {c["id"]: c for c in real_cases(DATA_ROOT, [("ls1998", ["data:x.flac"])])}
    for owner in meeting_owners(ami):
        case = cases[f"real/ami-other-part/{owner}"]
        stretches = [(r["start_ms"], r["end_ms"]) for r in case["enroll"]]
        test = (case["audio"]["start_ms"], case["audio"]["end_ms"])
        assert intervals_ms(stretches) == 10_000 and not intersect_intervals(stretches, [test])
        others = [(t.start_ms, t.end_ms) for t in ami if t.speaker != owner]
        assert not intersect_intervals(stretches, others)  # nobody else in the enrollment
        assert intervals_ms(intersect_intervals(speaker_intervals(ami, owner), [test])) >= 3000
        assert 0 <= test[0] < test[1] <= AMI_MS
        headset = cases[f"real/ami-headset-enroll/{owner}"]["enroll"]
        assert all("headset_" + owner in r["path"] for r in headset)
    for owner in ("agent", "caller"):
        full, rest = cases[f"real/aws-call/{owner}"], cases[f"real/aws-call-rest/{owner}"]
        score_from = full["score_from_ms"]
        assert 20_000 <= score_from <= 60_000 and rest["audio"]["start_ms"] == score_from
        assert all(r["end_ms"] <= score_from for r in full["enroll"]) and full["enroll"] == rest["enroll"]
        assert intervals_ms((r["start_ms"], r["end_ms"]) for r in full["enroll"]) == 10_000
    absent = [c for c in cases.values() if c.get("owner_absent")]
    assert len(absent) == 3 + 3 + 2 + 1  # every meeting enrollment, both call voices, the LibriSpeech owner given
    for case in absent:
        turns = read_rttm(DATA_ROOT / case["rttm"].removeprefix("data:"))
        audio = case["audio"]
        if isinstance(audio, dict):
            turns = clip_turns(turns, audio["start_ms"], audio.get("end_ms", 10**9))
        assert case["owner"] not in {t.speaker for t in turns}
