import numpy as np
import pytest

from selective_speaker.speech.asr import load_asr, pack_stretches, transcribe_stretches
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.types import ModelError, Span, Word

from .conftest import ENROLLMENT_FILES, load


def test_it_packs_stretches_with_silence_between_and_maps_times_back():
    audio = np.arange(16000 * 10, dtype=np.float32)
    packed, packing = pack_stretches(audio, [Span(1000, 2000), Span(5000, 5500)], gap_ms=300)
    assert packed.size == 16 * (1000 + 300 + 500)
    assert packed[0] == audio[16000]
    assert packing.to_chunk_time(500) == (1500, 0)
    assert packing.to_chunk_time(1300 + 100) == (5100, 1)


class FakeASR:
    """Returns fixed words in packed time, to check the mapping (not recognition)."""

    model_id = "fake"

    def __init__(self, words):
        self.words = words

    def transcribe(self, audio):
        return self.words


def test_it_maps_words_into_the_stretch_they_were_said_in():
    audio = np.zeros(16000 * 10, dtype=np.float32)
    stretches = [Span(1000, 2000), Span(5000, 6000)]
    asr = FakeASR([Word(100, 600, "first", 0.9), Word(1400, 1900, "second", 0.8)])
    out = transcribe_stretches(asr, audio, stretches, gap_ms=300)
    assert [(w.start_ms, w.end_ms, w.text, i) for w, i in out] == [(1100, 1600, "first", 0), (5100, 5600, "second", 1)]


def test_it_transcribes_real_speech_with_word_times(engine):
    audio = load(ENROLLMENT_FILES[1])
    words = engine.asr.transcribe(audio)
    text = " ".join(w.text for w in words).lower()
    assert len(words) >= 5
    assert all(0 <= w.start_ms < w.end_ms <= audio.size // 16 + 100 for w in words)
    assert all(0.0 <= w.probability <= 1.0 for w in words)
    assert any(token in text for token in ("the", "and", "of")), text


def test_it_loads_the_bundled_english_tiny_model():
    asr = load_asr(EngineConfig(asr_model="bundled:tiny.en"))
    words = asr.transcribe(load(ENROLLMENT_FILES[1]))
    assert len(words) >= 5 and "tiny.en" in asr.model_id


def test_it_says_clearly_when_the_whisperx_extra_is_missing():
    try:
        import whisperx  # noqa: F401
    except ImportError:
        with pytest.raises(ModelError, match="gpu extra"):
            load_asr(EngineConfig(asr_backend="whisperx"))
    else:  # pragma: no cover - GPU hosts with the extra installed
        pytest.skip("whisperx is installed here: its real run is covered by the GPU check in the README")
