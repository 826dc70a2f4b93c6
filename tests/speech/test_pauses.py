import numpy as np
import pytest

from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.engine import decide_owner
from selective_speaker.speech.features import fbank
from selective_speaker.speech.pauses import MIN_DEPTH_DB, frame_energy_db, levels_db, snap_to_pauses
from selective_speaker.speech.types import Decision, Region, Span
from selective_speaker.speech.vad import speech_spans
from selective_speaker.speech.voiceprint import embed_speech

from .conftest import CONVERSATION, load

SR = 16_000
CONFIG = EngineConfig()  # pause_snap_ms 300, pause_min_ms 50, pause_floor_db 6


def noise(seconds: float, level: float, seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * level).astype(np.float32)


def speech_with_gaps(gaps_ms, total_ms: int = 4000, floor: float = 0.001) -> np.ndarray:
    """'Speech' (loud noise) throughout at 0.1, the room's floor (0.001) in the (start, end) ms gaps."""
    audio = noise(total_ms / 1000, 0.1) + noise(total_ms / 1000, floor, seed=2)
    for start, end in gaps_ms:
        audio[start * SR // 1000 : end * SR // 1000] = noise((end - start) / 1000, floor, seed=3)
    return audio


def handover(cut_ms: int, total_ms: int = 4000, first=Decision.OWNER, second=Decision.OTHER) -> list[Region]:
    return [Region(0, cut_ms, 0.7, first), Region(cut_ms, total_ms, 0.4, second)]


def test_frame_energy_follows_the_level_in_db():
    energy = frame_energy_db(fbank(np.concatenate([noise(1, 0.01), noise(1, 0.1)])))
    assert np.median(energy[120:190]) - np.median(energy[20:90]) == pytest.approx(20, abs=1.0)


def test_the_quiet_level_is_the_chunks_pauses_and_the_speech_level_its_speech():
    energy = frame_energy_db(fbank(speech_with_gaps([(1000, 1600), (2500, 3000)])))
    speech, pause = np.median(energy[:90]), np.median(energy[110:150])
    assert speech - pause > 30
    quiet_level, speech_level = levels_db(energy)
    assert quiet_level == pytest.approx(pause, abs=3.0)
    assert speech_level == pytest.approx(speech, abs=1.0)


def test_a_hand_over_moves_onto_the_pause_near_it():
    feats = fbank(speech_with_gaps([(2050, 2150), (600, 1400)]))
    first, second = snap_to_pauses(handover(2300), feats, CONFIG)
    assert 2050 <= first.end_ms <= 2150 and second.start_ms == first.end_ms
    assert type(first.end_ms) is int and type(second.start_ms) is int  # the audit record is JSON
    assert (first.decision, second.decision) == (Decision.OWNER, Decision.OTHER)
    # the other way round too: from another voice to the owner
    first, second = snap_to_pauses(handover(1900, first=Decision.OTHER, second=Decision.OWNER), feats, CONFIG)
    assert 2050 <= first.end_ms <= 2150


def test_the_longest_pause_wins_over_a_nearer_short_one():
    # a 60 ms closure right at the cut, the 150 ms turn gap 250 ms away
    feats = fbank(speech_with_gaps([(2270, 2330), (2500, 2650), (600, 1400)]))
    first, _ = snap_to_pauses(handover(2300), feats, CONFIG)
    assert 2500 <= first.end_ms <= 2650


@pytest.mark.parametrize(
    "gaps, why",
    [
        ([(600, 1400)], "no pause near the hand-over: voices overlap or run on"),
        ([(2700, 2850), (600, 1400)], "the pause lies beyond pause_snap_ms"),
        ([(2250, 2280), (600, 1400)], "a dip shorter than pause_min_ms"),
    ],
)
def test_a_hand_over_stays_where_the_voice_match_put_it(gaps, why):
    regions = handover(2300)
    assert snap_to_pauses(regions, fbank(speech_with_gaps(gaps)), CONFIG) == regions, why


@pytest.mark.parametrize("floor", [0.1 / 10 ** (MIN_DEPTH_DB / 20) * 1.5, 0.08])
def test_in_a_chunk_whose_noise_fills_its_pauses_nothing_moves(floor):
    # the gaps hold noise less than MIN_DEPTH_DB (12 dB) below the speech: no pause to tell
    regions = handover(2300)
    assert snap_to_pauses(regions, fbank(speech_with_gaps([(2050, 2150), (600, 1400)], floor=floor)), CONFIG) == regions


def test_only_boundaries_between_owner_and_not_owner_inside_speech_move():
    feats = fbank(speech_with_gaps([(2050, 2150), (600, 1400)]))
    between_others = handover(2300, first=Decision.UNCERTAIN, second=Decision.OTHER)
    assert snap_to_pauses(between_others, feats, CONFIG) == between_others
    apart = [Region(0, 2200, 0.7, Decision.OWNER), Region(2400, 4000, 0.4, Decision.OTHER)]  # a VAD gap between
    assert snap_to_pauses(apart, feats, CONFIG) == apart
    assert snap_to_pauses(handover(2300), feats, CONFIG.with_(pause_snap_ms=0)) == handover(2300)
    assert snap_to_pauses(handover(2300), None, CONFIG) == handover(2300)


def test_a_cut_never_leaves_its_two_regions():
    # the only pause lies inside the region before the owner's: moving there would swallow it
    feats = fbank(speech_with_gaps([(2100, 2200), (600, 1400)]))
    regions = [Region(0, 2250, 0.4, Decision.OTHER), Region(2250, 2300, 0.7, Decision.OWNER),
               Region(2300, 4000, 0.4, Decision.OTHER)]
    out = snap_to_pauses(regions, feats, CONFIG)
    assert all(r.end_ms > r.start_ms for r in out)
    assert [r.decision for r in out] == [r.decision for r in regions]


@pytest.mark.parametrize("bad", [{"pause_snap_ms": -1}, {"pause_min_ms": 0}, {"pause_floor_db": 0.0}])
def test_the_settings_are_checked(bad):
    with pytest.raises(ValueError, match="pause"):
        EngineConfig(**bad)


def test_on_real_speech_a_quick_hand_over_lands_in_its_gap(engine, owner_voiceprint):
    # The fixture conversation's owner (ls1998) ends a turn at 13.61 s; the bystander's turn
    # (ls2033) from 14.39 s follows 120 ms later instead of 780 ms: a fast hand-over in one
    # stretch of speech, the gap at the recording's own quiet level.
    audio = load(CONVERSATION)
    gap = audio[int(13.75 * SR) : int(13.87 * SR)]
    joined = np.concatenate([audio[int(8.0 * SR) : int(13.61 * SR)], gap, audio[int(14.39 * SR) : int(19.0 * SR)]])
    gap_ms = (5610, 5730)
    spans = speech_spans(joined, engine.config)
    assert any(s.start_ms < gap_ms[0] and s.end_ms > gap_ms[1] for s in spans), "one stretch across the gap"
    emb = embed_speech(joined, spans, engine.embedder, engine.config)
    att = decide_owner(emb, engine.embedder, owner_voiceprint, joined.size * 1000 // SR, engine.config)
    handovers = [a.end_ms for a, b in zip(att.regions, att.regions[1:])
                 if a.end_ms == b.start_ms and a.decision == Decision.OWNER and b.decision != Decision.OWNER]
    assert len(handovers) == 1
    assert gap_ms[0] <= handovers[0] <= gap_ms[1]
    assert att.owner and att.owner[0] == Span(att.owner[0].start_ms, handovers[0])
