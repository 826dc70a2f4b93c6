import numpy as np
import pytest

from selective_speaker.speech.attribution import anchor_owner_label, attribute_anchored
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.diarization import Turn, load_diarizer
from selective_speaker.speech.types import ChunkStatus, Decision, ModelError, Span

from .conftest import BYSTANDER, CONVERSATION, CONVERSATION_RTTM, OWNER, coverage, enrollment_audio, load, rttm_turns


def test_it_finds_the_label_that_dominates_the_enrollment_window():
    turns = [Turn(0, 9000, "A"), Turn(9000, 10000, "B"), Turn(12000, 20000, "B")]
    outcome = anchor_owner_label(turns, enroll_ms=10000, dominance=0.8)
    assert outcome.label == "A" and outcome.dominance == pytest.approx(0.9)


def test_it_refuses_to_guess_when_no_label_dominates():
    turns = [Turn(0, 6000, "A"), Turn(6000, 10000, "B")]
    outcome = anchor_owner_label(turns, enroll_ms=10000, dominance=0.8)
    assert outcome.label is None and "dominates" in outcome.reason
    assert anchor_owner_label([Turn(12000, 13000, "A")], 10000, 0.8).reason.startswith("no speech")


def test_it_shifts_owner_turns_back_into_the_chunk_and_gives_overlaps_to_the_other():
    turns = [Turn(0, 9000, "A"), Turn(11000, 14000, "A"), Turn(13500, 16000, "B"), Turn(16000, 18000, "A")]
    att = attribute_anchored(turns, "A", offset_ms=10000 + 1000, duration_ms=8000)
    assert att.owner == [Span(0, 2500), Span(5000, 7000)]
    assert [r.decision for r in att.regions] == [Decision.OWNER, Decision.OTHER, Decision.OWNER]


def test_it_diarizes_a_real_conversation_into_its_two_voices(engine):
    audio = load(CONVERSATION)
    turns = engine.diarize(audio)
    truth = rttm_turns(CONVERSATION_RTTM)
    n = audio.size // 160 + 1
    labels = sorted({t.label for t in turns})
    assert len(labels) == 2
    # Each true speaker maps to one label for most of their time (purity).
    for speaker in (OWNER, BYSTANDER):
        mine = coverage([(s, e) for s, e, who in truth if who == speaker], n)
        shares = [(coverage([(t.start_ms, t.end_ms) for t in turns if t.label == label], n) & mine).sum() for label in labels]
        assert max(shares) / sum(shares) > 0.85


def test_it_runs_the_anchored_strategy_on_real_audio(engine_config, owner_voiceprint):
    from selective_speaker.speech.engine import Engine

    engine = Engine(engine_config.with_(strategy="anchored"))
    audio = load(CONVERSATION)
    result = engine.process_chunk(audio, voiceprint=owner_voiceprint, enrollment_audio=enrollment_audio())
    assert result.status == ChunkStatus.DONE
    assert result.decision["strategy"] == "anchored" and result.decision["dominance"] >= 0.8
    truth = rttm_turns(CONVERSATION_RTTM)
    n = audio.size // 160 + 1
    owner = coverage([(s, e) for s, e, who in truth if who == OWNER], n)
    kept = coverage([(s.start_ms, s.end_ms) for s in result.segments], n)
    assert (kept & owner).sum() / owner.sum() > 0.6
    # An "enrollment" holding two voices is not dominated by either: indeterminate, not a guess.
    mixed = engine.process_chunk(audio, voiceprint=owner_voiceprint, enrollment_audio=audio)
    assert mixed.status == ChunkStatus.INDETERMINATE and mixed.segments == []
    assert "dominates" in mixed.reason


def test_it_says_clearly_when_the_pyannote_extra_is_missing():
    try:
        import pyannote.audio  # noqa: F401
    except ImportError:
        with pytest.raises(ModelError, match="gpu extra"):
            load_diarizer(EngineConfig(diarization_backend="pyannote"), embedder=None)
    else:  # pragma: no cover - GPU hosts with the extra installed
        pytest.skip("pyannote.audio is installed here; the hub pipeline needs network and an HF token")
