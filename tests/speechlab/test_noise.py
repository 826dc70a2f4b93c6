"""Noise of the realistic suite and mixing it at an SNR (selective_speaker/speechlab/noise.py)."""

from __future__ import annotations

import numpy as np
import pytest

from selective_speaker.speechlab.noise import coloured, make_noise, scale_to_snr, snr_db

SR = 16_000
N = SR * 6


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


def voices() -> list[list[np.ndarray]]:
    """Three fake voices of two 'utterances' each (modulated harmonic tones)."""
    t = np.arange(SR * 2) / SR
    out = []
    for f0 in (110, 180, 230):
        utterance = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 10)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
        out.append([utterance.astype(np.float32), utterance[::-1].astype(np.float32)])
    return out


def speech_and_mask() -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros(N, np.float32)
    mask = np.zeros(N, bool)
    for lo in (SR // 2, 3 * SR):
        seg = voices()[0][0][: 2 * SR] * 0.05
        x[lo : lo + seg.size] = seg
        mask[lo : lo + seg.size] = True
    return x, mask


def band_power_db(x, lo, hi):
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / SR)
    return 10 * np.log10(spectrum[(freqs >= lo) & (freqs < hi)].mean())


@pytest.mark.parametrize("kind", ["pink", "brown", "babble", "cafe", "street", "hum", "rumble"])
@pytest.mark.parametrize("snr", [20, 10, 5])
def test_it_mixes_every_noise_at_the_asked_snr_within_half_a_db(kind, snr):
    speech, mask = speech_and_mask()
    noise = make_noise({"kind": kind, "mains_hz": 60}, N, rng(), voices())
    assert noise.shape == (N,) and np.sqrt(np.mean(noise.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    mixed_noise = scale_to_snr(speech, noise, snr, mask)
    assert snr_db(speech, mixed_noise, mask) == pytest.approx(snr, abs=0.5)
    # speech power counts only where somebody speaks: silence around it does not dilute it
    assert snr_db(speech, mixed_noise) < snr


def test_it_shapes_pink_and_brown_noise_by_their_slopes():
    pink, brown = coloured(N, 1.0, rng()), coloured(N, 2.0, rng())
    # one decade up: pink loses ~10 dB per bin, brown ~20 dB
    assert band_power_db(pink, 200, 300) - band_power_db(pink, 2000, 3000) == pytest.approx(10, abs=2)
    assert band_power_db(brown, 200, 300) - band_power_db(brown, 2000, 3000) == pytest.approx(20, abs=2)


def test_it_puts_mains_hum_on_the_mains_frequency_and_its_harmonics():
    hum = make_noise({"kind": "hum", "mains_hz": 50}, N, rng())
    for harmonic in (50, 100, 150):
        assert band_power_db(hum, harmonic - 2, harmonic + 2) - band_power_db(hum, harmonic + 10, harmonic + 30) > 30
    rumble = make_noise({"kind": "rumble"}, N, rng())
    assert band_power_db(rumble, 20, 60) - band_power_db(rumble, 400, 1000) > 40


def test_it_builds_babble_from_the_given_voices_only():
    babble = make_noise({"kind": "babble"}, N, rng(), voices())
    silent = make_noise({"kind": "babble"}, N, rng(), [[np.zeros(SR, np.float32)]])
    assert np.abs(babble).max() > 0 and not np.any(silent)


@pytest.mark.parametrize("kind", ["pink", "babble", "cafe", "street", "hum"])
def test_it_makes_the_same_noise_from_the_same_seed(kind):
    a = make_noise({"kind": kind}, N, rng(7), voices())
    b = make_noise({"kind": kind}, N, rng(7), voices())
    c = make_noise({"kind": kind}, N, rng(8), voices())
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()


def test_it_refuses_an_unknown_noise():
    with pytest.raises(ValueError, match="unknown noise"):
        make_noise({"kind": "jackhammer"}, N, rng())
