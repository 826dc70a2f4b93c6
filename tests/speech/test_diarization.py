import numpy as np
import pytest

from selective_speaker.speech.attribution import anchor_owner_label, attribute_anchored
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.decision import DecisionRecord
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
    assert result.decision.strategy == "anchored" and result.decision.anchor.dominance >= 0.8
    stored = result.decision.to_dict()  # the stored shape, and it reads back as it was
    assert stored["dominance"] == result.decision.anchor.dominance and "windows" not in stored
    assert DecisionRecord.from_dict(stored) == result.decision
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


# --- the pyannote backend, against a stand-in pyannote.audio (the real one needs CUDA torch) --


class StandInAnnotation:
    def __init__(self, tracks):
        self.tracks = tracks

    def itertracks(self, yield_label=False):
        from types import SimpleNamespace

        for start, end, label in self.tracks:
            yield SimpleNamespace(start=start, end=end), None, label


def stand_in_pyannote(monkeypatch, *, pipeline_output, loaded=True):
    """Install a stand-in `pyannote.audio` whose Pipeline records how it is used."""
    import sys
    import types

    calls = []

    class Pipeline:
        @classmethod
        def from_pretrained(cls, source, **options):
            calls.append(("from_pretrained", source, options))
            return cls() if loaded else None

        def to(self, device):
            calls.append(("to", str(device)))
            return self

        def __call__(self, audio, **options):
            calls.append(("run", tuple(audio["waveform"].shape), audio["sample_rate"], options))
            return pipeline_output

    package = types.ModuleType("pyannote")
    audio_module = types.ModuleType("pyannote.audio")
    audio_module.Pipeline = Pipeline
    package.audio = audio_module
    monkeypatch.setitem(sys.modules, "pyannote", package)
    monkeypatch.setitem(sys.modules, "pyannote.audio", audio_module)
    return calls


def test_it_runs_a_pyannote_pipeline_and_reads_its_turns(monkeypatch):
    pytest.importorskip("torch", reason="the pyannote backend hands audio over as a torch tensor (prep extra)")
    annotation = StandInAnnotation([(0.5, 2.25, "SPEAKER_00"), (2.5, 4.0, "SPEAKER_01")])
    calls = stand_in_pyannote(monkeypatch, pipeline_output=annotation)
    config = EngineConfig(
        diarization_backend="pyannote",
        pyannote_pipeline="/models/pyannote-local",
        hf_token="hf_secret",
        min_speakers=2,
        max_speakers=4,
    )
    diarizer = load_diarizer(config, embedder=None)
    turns = diarizer.diarize(np.zeros(16000 * 5, dtype=np.float32))

    assert turns == [Turn(500, 2250, "SPEAKER_00"), Turn(2500, 4000, "SPEAKER_01")]
    assert diarizer.model_id == "pyannote:/models/pyannote-local"
    assert calls[0] == ("from_pretrained", "/models/pyannote-local", {"token": "hf_secret"})
    assert calls[-1] == ("run", (1, 80000), 16000, {"min_speakers": 2, "max_speakers": 4})
    assert not [c for c in calls if c[0] == "to"]  # CPU config: the pipeline stays where it is


def test_it_reads_pyannote_4_output_and_moves_the_pipeline_to_the_gpu(monkeypatch):
    from types import SimpleNamespace

    pytest.importorskip("torch", reason="the pyannote backend hands audio over as a torch tensor (prep extra)")
    output = SimpleNamespace(speaker_diarization=StandInAnnotation([(1.0, 3.0, "A")]))
    calls = stand_in_pyannote(monkeypatch, pipeline_output=output)
    diarizer = load_diarizer(EngineConfig(diarization_backend="pyannote", asr_device="cuda"), embedder=None)
    assert diarizer.diarize(np.zeros(16000 * 4, dtype=np.float32)) == [Turn(1000, 3000, "A")]
    assert ("to", "cuda") in calls
    assert calls[0] == ("from_pretrained", "pyannote/speaker-diarization-3.1", {})


def test_it_says_clearly_when_a_pyannote_pipeline_is_gated(monkeypatch):
    pytest.importorskip("torch", reason="the pyannote backend hands audio over as a torch tensor (prep extra)")
    stand_in_pyannote(monkeypatch, pipeline_output=None, loaded=False)
    with pytest.raises(ModelError, match="HF_TOKEN"):
        load_diarizer(EngineConfig(diarization_backend="pyannote"), embedder=None)
