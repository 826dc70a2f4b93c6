import numpy as np
import pytest

from selective_speaker.speech.asr import load_asr, pack_stretches, transcribe_sources, transcribe_stretches
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.types import ModelError, Span, Word

from .conftest import CONVERSATION, ENROLLMENT_FILES, load


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


def test_it_transcribes_several_chunks_in_one_pass_and_gives_each_its_own_words():
    first, second = np.zeros(16000 * 10, dtype=np.float32), np.ones(16000 * 5, dtype=np.float32)
    # packed: first[1000:2000] at 0, first[5000:6000] at 1300, second[0:2000] at 2600
    asr = FakeASR([Word(100, 600, "one", 0.9), Word(1400, 1900, "two", 0.9), Word(2700, 3100, "three", 0.8)])
    heard = []
    asr.transcribe = lambda audio: heard.append(audio.size) or asr.words
    out = transcribe_sources(asr, [(first, [Span(1000, 2000), Span(5000, 6000)]), (second, [Span(0, 2000)])], gap_ms=300)
    assert heard == [16 * 4600]  # one pass over both chunks' stretches
    assert [[(w.start_ms, w.end_ms, w.text, i) for w, i in words] for words in out] == [
        [(1100, 1600, "one", 0), (5100, 5600, "two", 1)],
        [(100, 500, "three", 0)],
    ]
    assert transcribe_sources(asr, [(first, []), (second, [])], gap_ms=300) == [[], []]
    assert heard == [16 * 4600]  # nothing to transcribe: no pass


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


# --- the whisperx backend, against a stand-in module (the real one needs CUDA torch) --------


def test_it_keeps_words_whisperx_could_not_align():
    from selective_speaker.speech.asr import words_from_alignment

    words = words_from_alignment(
        [
            {"word": "born", "start": 1.0, "end": 1.3, "score": 0.9},
            {"word": "in"},  # no time, as wav2vec2 leaves numerals and symbols
            {"word": "1998", "start": None, "end": None},
            {"word": "here", "start": 2.0, "end": 2.4, "score": 0.8},
            {"word": "  "},
        ]
    )
    assert [(w.text, w.start_ms, w.end_ms, w.probability) for w in words] == [
        ("born", 1000, 1300, 0.9),
        ("in", 1300, 2000, 0.0),
        ("1998", 2000, 2001, 0.0),
        ("here", 2000, 2400, 0.8),
    ]
    assert words_from_alignment([{"word": "only"}]) == []


class StandInWhisperX:
    """Records how the backend drives whisperx and answers like whisperx 3.x does."""

    def __init__(self):
        self.calls = []

    def load_model(self, source, device, **options):
        self.calls.append(("load_model", source, device, options))
        whisperx = self

        class Model:
            def transcribe(self, audio, **options):
                whisperx.calls.append(("transcribe", audio.size, options))
                return {"language": "en", "segments": [{"text": " hello there", "start": 0.1, "end": 0.9}]}

        return Model()

    def load_align_model(self, *, language_code, device, model_name=None):
        self.calls.append(("load_align_model", language_code, device, model_name))
        return "wav2vec2", {"language": language_code}

    def align(self, segments, model, metadata, audio, device, **options):
        self.calls.append(("align", model, metadata["language"], device))
        return {
            "word_segments": [
                {"word": "hello", "start": 0.1, "end": 0.4, "score": 0.91},
                {"word": "there", "start": 0.5, "end": 0.9, "score": 0.87},
            ]
        }


def test_it_drives_whisperx_batched_with_alignment(monkeypatch, tmp_path):
    import sys

    stand_in = StandInWhisperX()
    monkeypatch.setitem(sys.modules, "whisperx", stand_in)
    model_dir = tmp_path / "ct2-model"
    model_dir.mkdir()
    (model_dir / "model.bin").write_bytes(b"x")
    config = EngineConfig(
        asr_backend="whisperx",
        asr_model=str(model_dir),
        asr_device="cuda",
        asr_compute_type="float16",
        asr_batch_size=16,
        asr_language="en",
    )
    asr = load_asr(config)
    words = asr.transcribe(np.zeros(16000, dtype=np.float32))
    words_again = asr.transcribe(np.zeros(8000, dtype=np.float32))

    assert [(w.text, w.start_ms, w.end_ms) for w in words] == [("hello", 100, 400), ("there", 500, 900)]
    assert words_again == words
    assert asr.model_id == "ct2-local:ct2-model"
    load = stand_in.calls[0]
    assert load[:3] == ("load_model", str(model_dir), "cuda")
    assert load[3]["compute_type"] == "float16" and load[3]["language"] == "en"
    assert load[3]["asr_options"] == {"temperatures": [0.0]}  # beam search only: the same audio, the same words
    assert ("transcribe", 16000, {"batch_size": 16, "language": "en"}) in stand_in.calls
    # the alignment model loads once per language, however many chunks follow
    assert [c for c in stand_in.calls if c[0] == "load_align_model"] == [("load_align_model", "en", "cuda", None)]


def test_it_says_clearly_when_whisperx_has_no_alignment_model(monkeypatch, tmp_path):
    import sys

    stand_in = StandInWhisperX()

    def no_aligner(**_):
        raise ValueError("No default align-model for language: xx")

    stand_in.load_align_model = no_aligner
    monkeypatch.setitem(sys.modules, "whisperx", stand_in)
    asr = load_asr(EngineConfig(asr_backend="whisperx", asr_model="large-v3", asr_language=None))
    with pytest.raises(ModelError, match="alignment model for 'en'.*SPEECH_ASR_ALIGN_MODEL"):
        asr.transcribe(np.zeros(16000, dtype=np.float32))


def test_it_hands_long_packed_audio_to_the_recogniser_in_parts_cut_between_stretches(monkeypatch):
    import selective_speaker.speech.asr as asr_module

    monkeypatch.setattr(asr_module, "PART_MS", 2500)
    audio = np.zeros(16000 * 20, dtype=np.float32)
    stretches = [Span(0, 1000), Span(2000, 3000), Span(4000, 5000), Span(6000, 9000)]  # packed at 0, 1300, 2600, 3900
    parts = []

    class PartASR(FakeASR):
        def transcribe(self, audio):
            parts.append(audio.size // 16)
            return [Word(100, 400, f"w{len(parts)}", 0.9)]

    out = transcribe_stretches(PartASR([]), audio, stretches, gap_ms=300)
    assert parts == [2600, 1300, 3000]  # the 3 s stretch, longer than a part, is one of its own
    assert [(w.start_ms, w.text, i) for w, i in out] == [(100, "w1", 0), (4100, "w2", 2), (6100, "w3", 3)]


def test_the_recogniser_gives_the_same_words_for_the_same_audio_every_time(engine_config):
    # a noisy stretch on which Whisper's own default (the temperature fallback) drew different words
    # on each of three runs; beam search alone gives one answer
    audio = load(CONVERSATION)[16000 * 2 : 16000 * 8]
    noise = np.random.default_rng(5).standard_normal(audio.size) * 2 * np.sqrt(np.mean(audio**2))  # -6 dB
    noisy = (audio + noise).astype(np.float32)
    asr = load_asr(engine_config)
    assert asr.temperature == [0.0]
    runs = {" ".join(w.text for w in asr.transcribe(noisy)) for _ in range(3)}
    assert len(runs) == 1


def test_the_temperature_fallback_can_be_turned_back_on():
    from selective_speaker.speech.asr import FALLBACK_TEMPERATURES, temperatures

    assert temperatures(EngineConfig()) == [0.0]
    assert temperatures(EngineConfig(asr_temperature_fallback=True)) == list(FALLBACK_TEMPERATURES)
