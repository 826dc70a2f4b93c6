"""Channel transforms of the realistic suite (selective_speaker/speechlab/channel.py)."""

from __future__ import annotations

import numpy as np
import pytest

from selective_speaker.speechlab.channel import (
    ChannelError,
    agc,
    apply_chain,
    biquad,
    clip,
    clipped_share,
    codec,
    codec_available,
    eq,
    mu_law_stand_in,
    telephone,
)

from .conftest import FIXTURES

SR = 16_000


def white(seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(SR * seconds))).astype(np.float32)


def band_db(audio: np.ndarray, lo: float, hi: float) -> float:
    """Mean power (dB) per frequency bin in [lo, hi) Hz."""
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(audio.size, 1 / SR)
    return 10 * np.log10(spectrum[(freqs >= lo) & (freqs < hi)].mean())


def gain_db(before: np.ndarray, after: np.ndarray, lo: float, hi: float) -> float:
    return band_db(after, lo, hi) - band_db(before, lo, hi)


def real_speech() -> np.ndarray:
    """7.6 s of LibriSpeech read speech from the repository's fixtures."""
    from selective_speaker.speech.audio import decode_audio

    return decode_audio(FIXTURES / "audio" / "1998-15444-0009.flac")[0]


def envelope(x: np.ndarray) -> np.ndarray:
    n = x.size // 160
    return np.sqrt(np.mean(x[: n * 160].astype(np.float64).reshape(n, 160) ** 2, axis=1))


def at_dbfs(x: np.ndarray, dbfs: float) -> np.ndarray:
    return (x * 10 ** (dbfs / 20) / np.sqrt(np.mean(x.astype(np.float64) ** 2))).astype(np.float32)


def speechlike(seconds: float = 3.0) -> np.ndarray:
    """A voiced-speech stand-in: harmonics of 140 Hz, syllable-rate amplitude modulation."""
    t = np.arange(int(SR * seconds)) / SR
    voiced = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 25))
    return (0.2 * voiced * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)) / 3).astype(np.float32)


# --- telephone band ---------------------------------------------------------------------------------


def test_it_cuts_the_energy_outside_the_telephone_band():
    x = white()
    y = telephone(x)
    assert y.shape == x.shape and y.dtype == np.float32
    assert abs(gain_db(x, y, 500, 3000)) < 1.0  # the pass band is kept
    assert gain_db(x, y, 20, 150) < -20  # below 300 Hz: gone
    assert gain_db(x, y, 4200, 8000) < -40  # above 4 kHz: nothing survives 8 kHz sampling
    assert gain_db(x, y, 3700, 4000) < -10


def test_it_keeps_speech_timing_through_the_telephone_band():
    x = np.zeros(SR, np.float32)
    x[8000:8800] = speechlike(0.05)
    y = telephone(x)
    onset = int(np.argmax(np.abs(y) > 0.1 * np.abs(y).max()))
    assert 7960 <= onset <= 8080  # within 5 ms of the dry onset: the reference turns still hold


# --- codecs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,kbps", [("opus", 6), ("opus", 12), ("amr_nb", 12.2)])
def test_it_runs_a_real_low_bitrate_codec_aligned_with_the_input(name, kbps):
    if not codec_available(name):
        pytest.skip(f"this FFmpeg has no {name} encoder (the stand-in is tested below)")
    x = real_speech()
    y, what = codec(x, name=name, kbps=kbps)
    assert what == f"{name} {kbps:g} kbit/s"
    assert y.shape == x.shape
    ex, ey = envelope(x), envelope(y)
    assert np.corrcoef(ex, ey)[0, 1] > 0.9  # lossy, but the syllables are where they were
    lags = [np.corrcoef(ex[5 + k : -5 + k or None], ey[5:-5])[0, 1] for k in range(-5, 6)]
    assert int(np.argmax(lags)) == 5  # no codec delay left (10 ms resolution)
    assert gain_db(x, y, 4200, 8000) < -20 if name == "amr_nb" else True  # AMR-NB is narrow band


def test_it_decodes_opus_identically_twice():
    if not codec_available("opus"):
        pytest.skip("no libopus encoder")
    x = speechlike()
    assert codec(x, name="opus", kbps=8)[0].tobytes() == codec(x, name="opus", kbps=8)[0].tobytes()


def test_it_falls_back_to_the_documented_stand_in_without_the_encoder(monkeypatch):
    from selective_speaker.speechlab import channel

    monkeypatch.setattr(channel, "codec_available", lambda name: False)
    x = white()
    y, what = channel.codec(x, name="amr_nb", kbps=12.2)
    assert what.startswith("stand-in for amr_nb")
    assert gain_db(x, y, 4200, 8000) < -40  # narrow band like the real thing
    assert np.array_equal(y, mu_law_stand_in(x))


def test_it_refuses_unknown_codecs_and_amr_rates():
    with pytest.raises(ChannelError, match="unknown codec"):
        codec(white(0.1), name="mp9", kbps=8)
    with pytest.raises(ChannelError, match="AMR-NB runs at"):
        codec(white(0.1), name="amr_nb", kbps=9)


# --- microphone colouring, AGC, clipping ------------------------------------------------------------


def test_it_colours_the_microphone_as_the_presets_say():
    x = white()
    muffled, _ = apply_chain(x, [{"op": "eq", "preset": "muffled"}])
    assert gain_db(x, muffled, 5000, 7000) < -10 and abs(gain_db(x, muffled, 700, 1000)) < 3
    thin, _ = apply_chain(x, [{"op": "eq", "preset": "thin"}])
    assert gain_db(x, thin, 40, 100) < -15 and gain_db(x, thin, 4000, 5000) > 5


def test_it_builds_rbj_filters_with_the_asked_gain():
    x = white()
    peaked = eq(x, filters=[{"type": "peak", "hz": 2000, "gain_db": 10, "q": 2}])
    assert gain_db(x, peaked, 1950, 2050) == pytest.approx(10, abs=1.0)
    b, a = biquad("lowshelf", 200, gain_db=6)
    assert b.shape == a.shape == (3,) and a[0] == 1.0
    with pytest.raises(ChannelError):
        biquad("notch", 1000)


def test_it_levels_quiet_and_loud_speech_to_the_agc_target():
    quiet, loud = at_dbfs(speechlike(3.0), -45), at_dbfs(speechlike(3.0), -8)
    y = agc(np.concatenate([quiet, loud]), target_dbfs=-20)

    def dbfs(a):
        return 20 * np.log10(np.sqrt(np.mean(a.astype(np.float64) ** 2)))

    settled_quiet, settled_loud = dbfs(y[SR : 3 * SR]), dbfs(y[4 * SR : 6 * SR])  # after the release has settled
    assert abs(settled_quiet - settled_loud) < 2.0  # 37 dB apart going in
    assert settled_quiet == pytest.approx(-20, abs=5) and settled_loud == pytest.approx(-20, abs=5)


@pytest.mark.parametrize("fraction", [0.02, 0.08])
def test_it_clips_the_asked_share_of_samples(fraction):
    x = speechlike()
    y = clip(x, fraction=fraction)
    assert np.max(np.abs(y)) <= 1.0
    assert clipped_share(y) == pytest.approx(fraction, abs=0.005)
    with pytest.raises(ChannelError):
        clip(x, fraction=0.7)


def test_it_runs_a_chain_in_order_and_says_what_ran():
    x = speechlike()
    y, applied = apply_chain(x, [{"op": "telephone"}, {"op": "agc"}, {"op": "clip", "fraction": 0.01}])
    assert applied == ["telephone 300-3400 Hz via 8 kHz", "agc", "clip 1%"]
    assert y.shape == x.shape and np.max(np.abs(y)) <= 1.0
    assert apply_chain(x, [{"op": "telephone"}, {"op": "agc"}])[0].tobytes() == apply_chain(x, [{"op": "telephone"}, {"op": "agc"}])[0].tobytes()
    with pytest.raises(ChannelError, match="unknown channel step"):
        apply_chain(x, [{"op": "vinyl"}])


def test_it_turns_a_recording_down_by_the_asked_gain():
    x = speechlike()
    y, applied = apply_chain(x, [{"op": "gain", "db": -40}])
    assert applied == ["gain -40 dB"]
    assert 20 * np.log10(np.sqrt(np.mean(y**2)) / np.sqrt(np.mean(x**2))) == pytest.approx(-40, abs=0.01)
