"""What the VAD hears (speech/vad.py): quiet speech under mains hum, on real speech."""

import numpy as np
import pytest

from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.types import SAMPLE_RATE
from selective_speaker.speech.vad import quiet_level_dbfs, speech_spans, vad_input

from .conftest import enrollment_audio


def hum(n: int, mains_hz: int = 50) -> np.ndarray:
    """Mains hum with its first harmonics, at unit RMS."""
    t = np.arange(n) / SAMPLE_RATE
    wave = sum(np.sin(2 * np.pi * mains_hz * k * t + k) / k for k in range(1, 6))
    return wave / np.sqrt(np.mean(wave**2))


def at_dbfs(samples: np.ndarray, dbfs: float) -> np.ndarray:
    return samples / np.sqrt(np.mean(samples**2)) * 10 ** (dbfs / 20)


def heard_ms(audio: np.ndarray, config: EngineConfig) -> int:
    return sum(s.duration_ms for s in speech_spans(audio.astype(np.float32), config))


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return enrollment_audio().astype(np.float64)


def test_it_hears_quiet_speech_under_mains_hum(speech):
    # A talker across the room at -68 dBFS with the hum 13 dB louder than their voice: as it is,
    # Silero hears none of it (0.0 s heard: an enrollment like this was refused).
    rng = np.random.default_rng(7)
    quiet = at_dbfs(speech, -68) + at_dbfs(hum(speech.size), -55) + rng.normal(0, 10 ** (-105 / 20), speech.size)
    config = EngineConfig()
    reference = heard_ms(speech, config)
    assert heard_ms(quiet, config.with_(vad_quiet_dbfs=None)) < 0.3 * reference  # what it is for
    assert heard_ms(quiet, config) >= 0.9 * reference


def test_hum_and_noise_alone_stay_silence():
    rng = np.random.default_rng(8)
    n = 20 * SAMPLE_RATE
    for dbfs in (-40, -65):
        noise = at_dbfs(hum(n, 60), dbfs) + rng.normal(0, 10 ** ((dbfs - 10) / 20), n)
        assert heard_ms(noise, EngineConfig()) == 0


def test_a_chunk_at_an_ordinary_level_is_heard_as_it_is(speech):
    audio = at_dbfs(speech, -25).astype(np.float32)
    assert quiet_level_dbfs(audio) > EngineConfig().vad_quiet_dbfs
    assert vad_input(audio, EngineConfig()) is audio


def test_the_gain_is_bounded_and_only_the_vad_hears_it(speech):
    audio = at_dbfs(speech, -80).astype(np.float32)
    config = EngineConfig(vad_max_gain_db=20.0)
    raised = vad_input(audio, config)
    gain_db = quiet_level_dbfs(raised) - quiet_level_dbfs(audio)
    assert 19.0 < gain_db < 21.0  # the high-pass takes a little of the level too
    assert quiet_level_dbfs(vad_input(audio, EngineConfig())) == pytest.approx(-30.0, abs=0.1)
    assert np.array_equal(audio, at_dbfs(speech, -80).astype(np.float32))  # the chunk itself is untouched


def test_the_settings_are_checked():
    for bad in ({"vad_quiet_dbfs": 6.0}, {"vad_highpass_hz": 9000}, {"vad_max_gain_db": -1.0}):
        with pytest.raises(ValueError, match="vad_"):
            EngineConfig(**bad)


def test_a_quiet_enrollment_under_hum_is_heard_and_makes_the_same_voiceprint(engine, engine_config, speech):
    """The symptom this is for: a 12 s enrollment of a quiet talker under hum was refused with
    "0.0 s heard"; heard now, its voiceprint is the owner's (cosine to the clean one ≥ 0.85)."""
    from selective_speaker.speech.engine import Engine
    from selective_speaker.speech.types import EnrollmentError

    rng = np.random.default_rng(7)
    quiet = at_dbfs(speech, -68) + at_dbfs(hum(speech.size), -55) + rng.normal(0, 10 ** (-105 / 20), speech.size)
    quiet = quiet.astype(np.float32)
    with pytest.raises(EnrollmentError, match=r"0\.0 s heard"):
        Engine(engine_config.with_(vad_quiet_dbfs=None)).enroll(quiet)
    heard = engine.enroll(quiet)
    clean = engine.enroll(speech.astype(np.float32))
    assert float(heard.voiceprint @ clean.voiceprint) >= 0.85
