"""Re-timed conversations of the realistic suite (selective_speaker/speechlab/conversation.py)."""

from __future__ import annotations

import numpy as np
import pytest

from selective_speaker.speechlab.conversation import (
    LIBRISPEECH,
    TurnSource,
    overlap_amounts,
    overlap_share,
    phrases,
    place_turns,
    voice_pool,
)
from selective_speaker.speechlab.rttm import SpeakerTurn

from .conftest import DATA_ROOT, needs_shared_data

SR = 16_000


def burst(seconds: float, f0: float) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.1 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))).astype(np.float32)


def utterance(f0: float, pieces=((1.5, 0.4), (2.0, 0.3), (0.5, 0.4), (3.0, 0.1), (1.0, 0.0))) -> np.ndarray:
    """Bursts of voice with pauses after them (seconds)."""
    out = []
    for speech, pause in pieces:
        out += [burst(speech, f0), np.zeros(int(SR * pause), np.float32)]
    return np.concatenate(out)


def sources(rng, f0s=(120.0, 210.0, 260.0)) -> dict[str, TurnSource]:
    out = {}
    for name, f0 in zip(("me", "you", "them"), f0s):
        utterances = [utterance(f0), utterance(f0 * 1.05, ((2.5, 0.5), (0.4, 0.5), (4.0, 0.0)))]
        source = TurnSource(utterances, [phrases(u) for u in utterances])
        source.position = (int(rng.integers(0, 2)), 0)
        out[name] = source
    return out


def conversation(seed=0, **spec):
    rng = np.random.default_rng(seed)
    spec = {"speakers": ["me", "you"], "seconds": 40, **spec}
    srcs = sources(rng)
    return place_turns(spec, {s: srcs[s] for s in spec["speakers"]}, "me", rng)


def concurrency(turns) -> int:
    marks = sorted([(t.start_ms, 1) for t in turns] + [(t.end_ms, -1) for t in turns])
    active = peak = 0
    for _, step in marks:
        active += step
        peak = max(peak, active)
    return peak


def test_it_splits_phrases_at_long_pauses_only():
    spans = phrases(utterance(150))
    # pauses of 0.4 and 0.3 s split; 0.1 s does not (3.0 s + 0.1 s + 1.0 s stay one phrase)
    assert [round((hi - lo) / SR, 1) for lo, hi in spans] == [1.5, 2.0, 0.5, 4.1]


def test_it_cuts_a_phrase_longer_than_six_seconds():
    spans = phrases(np.concatenate([burst(4.0, 150), burst(4.0, 150) * 0.05, burst(4.0, 150)]))
    assert len(spans) >= 2 and all(hi - lo <= 6 * SR for lo, hi in spans)
    assert spans[0][0] == 0 and spans[-1][1] == 12 * SR


def test_it_keeps_turns_within_the_longest_asked_length():
    rng = np.random.default_rng(0)
    source = sources(rng)["me"]
    lengths = [source.next_turn(1.0, max_s=2.0).size / SR for _ in range(12)]
    assert max(lengths) <= 2.0 and min(lengths) > 0


@pytest.mark.parametrize("share", [0.05, 0.10, 0.20])
@pytest.mark.parametrize("speakers", [["me", "you"], ["me", "you", "them"]])
def test_it_overlaps_the_asked_share_of_speech(share, speakers):
    conv = conversation(overlap=share, speakers=speakers, turn_s=[2.0, 5.0])
    assert overlap_share(conv.turns) == pytest.approx(share, abs=0.005)
    assert conv.details["overlap_share"] == pytest.approx(share, abs=0.005)
    assert concurrency(conv.turns) == 2  # never three voices at once


def test_it_writes_each_voice_only_inside_its_turns():
    conv = conversation(overlap=0.1)
    for speaker, track in conv.tracks.items():
        inside = np.zeros(track.size, bool)
        for t in conv.turns:
            if t.speaker == speaker:
                inside[t.start_ms * 16 : t.end_ms * 16 + 16] = True
        assert np.abs(track[~inside]).max(initial=0) == 0
        assert np.abs(track[inside]).max() > 0
    assert conv.samples / SR >= 40 * 0.8
    assert conv.speech_mask().sum() > 0.6 * conv.samples


def test_it_takes_fast_turns_with_gaps_under_200_ms():
    conv = conversation(gap_s=[0.0, 0.2], turn_s=[1.0, 3.0])
    gaps = [b.start_ms - a.end_ms for a, b in zip(conv.turns, conv.turns[1:])]
    assert all(0 <= g <= 200 for g in gaps)
    assert all(t.end_ms - t.start_ms <= 4000 for t in conv.turns)


def test_it_drops_backchannels_inside_both_speakers_turns():
    conv = conversation(backchannels=6, turn_s=[3.0, 6.0])
    short = [t for t in conv.turns if t.end_ms - t.start_ms <= 800]
    assert len(short) >= 4
    hosts = set()
    for bc in short:
        host = [t for t in conv.turns if t is not bc and t.start_ms < bc.start_ms and bc.end_ms < t.end_ms]
        assert host and host[0].speaker != bc.speaker
        hosts.add(host[0].speaker)
    assert hosts == {"me", "you"}


def test_it_builds_the_same_conversation_from_the_same_seed():
    a, b, c = conversation(seed=4, overlap=0.1), conversation(seed=4, overlap=0.1), conversation(seed=5, overlap=0.1)
    assert a.turns == b.turns and all(a.tracks[s].tobytes() == b.tracks[s].tobytes() for s in a.tracks)
    assert a.turns != c.turns


def test_it_refuses_an_overlap_the_turns_cannot_hold():
    with pytest.raises(ValueError, match="too short"):
        overlap_amounts([16000, 160, 16000], 0.4, np.random.default_rng(0))
    assert overlap_amounts([16000, 16000], 0.0, np.random.default_rng(0)) == [0]


def test_it_measures_overlap_share_on_turns():
    turns = [SpeakerTurn(0, 1000, "a"), SpeakerTurn(800, 2000, "b"), SpeakerTurn(3000, 4000, "a")]
    assert overlap_share(turns) == pytest.approx(200 / 3000)


@needs_shared_data
def test_it_keeps_held_out_enrollment_audio_out_of_conversations():
    pool = voice_pool(DATA_ROOT)
    owners = [v for v in pool.values() if v.id.removeprefix("ls") in LIBRISPEECH]
    assert len(owners) == 10 and sorted(v.gender for v in owners) == ["F"] * 5 + ["M"] * 5
    for voice in pool.values():
        assert not {r.path for r in voice.enroll} & {r.path for r in voice.conversation}
        assert all(r.path.is_file() for r in (*voice.conversation, *voice.enroll))
    assert [r.path.name[-9:] for r in pool["ls1998"].enroll] == ["0007.flac", "0008.flac", "0009.flac"]
