import numpy as np
import pytest

from selective_speaker.speech.band import band_limit
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.noise_level import SNR_CEILING_DB, is_noisy, noisy_reason, speech_snr_db
from selective_speaker.speech.types import Span

SR = 16_000


def tone_in_noise(snr_db: float, *, seconds: int = 6, hum_db: float | None = None) -> tuple[np.ndarray, list[Span]]:
    """Noise of the telephone band throughout; a 440 Hz 'voice' from 2 s to 4 s whose power stands
    `snr_db` above it; optionally mains hum (50 Hz), `hum_db` above the noise."""
    rng = np.random.default_rng(7)
    noise = band_limit(rng.standard_normal(seconds * SR).astype(np.float32)).astype(np.float64)
    noise *= 0.01 / np.sqrt(np.mean(noise**2))
    t = np.arange(2 * SR) / SR
    voice = np.sin(2 * np.pi * 440 * t) * np.sqrt(2) * 0.01 * 10 ** (snr_db / 20)
    audio = noise.copy()
    audio[2 * SR : 4 * SR] += voice
    if hum_db is not None:
        full = np.arange(audio.size) / SR
        audio += np.sin(2 * np.pi * 50 * full) * np.sqrt(2) * 0.01 * 10 ** (hum_db / 20)
    return audio.astype(np.float32), [Span(2000, 4000)]


@pytest.mark.parametrize("snr, within", [(-5, 3.0), (0, 1.5), (5, 1.0), (10, 1.0), (20, 1.0)])
def test_it_measures_speech_over_stationary_noise_in_db(snr, within):
    # the quietest frames of a noise lie a little below its mean: near and below 0 dB the estimate reads high
    audio, spans = tone_in_noise(snr)
    assert speech_snr_db(audio, spans) == pytest.approx(snr, abs=within)


def test_hum_below_the_telephone_band_does_not_count_as_noise():
    # mains hum 20 dB above the noise, and 10 dB above the 'voice'
    audio, spans = tone_in_noise(10, hum_db=20)
    assert speech_snr_db(audio, spans) == pytest.approx(10, abs=1.0)


def test_noise_outside_the_telephone_band_does_not_count_either():
    audio, spans = tone_in_noise(10)
    hiss = np.random.default_rng(2).standard_normal(audio.size) * 0.03
    hiss -= band_limit(hiss.astype(np.float32))  # 5–8 kHz and below 300 Hz: 10 dB louder than the in-band noise
    assert speech_snr_db(audio + hiss.astype(np.float32), spans) == pytest.approx(10, abs=1.5)


def test_it_has_no_figure_without_speech_or_for_digital_silence():
    audio, _ = tone_in_noise(10)
    assert speech_snr_db(audio, []) is None
    assert speech_snr_db(np.zeros(3 * SR, dtype=np.float32), [Span(0, 3000)]) is None
    assert speech_snr_db(np.zeros(100, dtype=np.float32), [Span(0, 5)]) is None


def test_speech_on_digital_silence_reads_the_ceiling_and_speech_no_louder_than_the_floor_its_negative():
    audio = np.zeros(3 * SR, dtype=np.float32)
    audio[SR : 2 * SR] = 0.1
    assert speech_snr_db(audio, [Span(1000, 2000)]) == SNR_CEILING_DB
    noise, _ = tone_in_noise(10)
    noise[SR : SR + SR // 2] = 0.0  # the 'speech' is a hole in the noise
    assert speech_snr_db(noise, [Span(1000, 1500)]) == -SNR_CEILING_DB


def test_a_chunk_is_noisy_below_the_setting_and_never_when_it_is_off():
    config = EngineConfig(noisy_snr_db=8.0)
    assert is_noisy(7.9, config) and not is_noisy(8.0, config) and not is_noisy(None, config)
    assert not is_noisy(-30.0, config.with_(noisy_snr_db=None))
    assert noisy_reason(4.4) == "too noisy to tell voices apart (speech 4 dB above the noise)"
