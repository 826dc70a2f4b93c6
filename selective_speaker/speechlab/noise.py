"""Noise for the realistic-conditions suite, and mixing it at a chosen signal-to-noise ratio.

Every generator is deterministic from a numpy Generator and returns float32 at 16 kHz with an
RMS of 1 (the level is set by `scale_to_snr`):

* ``pink`` / ``brown`` — stationary coloured noise (power ∝ 1/f and 1/f², flat below 20 Hz);
* ``babble`` — several pool voices (never the case's own speakers) talking at once;
* ``cafe`` / ``street`` — ambience: a slowly modulated pink (cafe) or brown (street) bed, distant
  babble (low-passed) and events (cafe: crockery clicks; street: passing-vehicle swells);
* ``hum`` — mains hum, 50 or 60 Hz and its harmonics; ``rumble`` — brown noise below 80 Hz.

SNR is speech power over the samples where somebody speaks (the reference turns) divided by
the noise power over the whole recording: `snr_db` measures it, `scale_to_snr` sets it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.signal import butter, sosfilt

SR = 16_000
FLOOR_HZ = 20.0


def unit_rms(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return (x / rms).astype(np.float32) if rms > 0 else x.astype(np.float32)


def coloured(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (0 white, 1 pink, 2 brown), flat below 20 Hz."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1 / SR), FLOOR_HZ)
    spectrum *= freqs ** (-exponent / 2)
    spectrum[0] = 0.0
    return unit_rms(np.fft.irfft(spectrum, n))


def lowpass(x: np.ndarray, hz: float, order: int = 4) -> np.ndarray:
    return sosfilt(butter(order, hz, btype="lowpass", fs=SR, output="sos"), x).astype(np.float32)


def highpass(x: np.ndarray, hz: float, order: int = 4) -> np.ndarray:
    return sosfilt(butter(order, hz, btype="highpass", fs=SR, output="sos"), x).astype(np.float32)


def slow_envelope(n: int, rng: np.random.Generator, *, hz: float, depth_db: float) -> np.ndarray:
    """A random gain curve changing at about `hz`, spanning ±depth_db."""
    points = max(4, int(n / SR * hz * 2) + 2)
    curve = np.interp(np.arange(n), np.linspace(0, n, points), rng.uniform(-1, 1, points))
    return (10 ** (depth_db * curve / 20)).astype(np.float32)


def babble(n: int, voices: Sequence[Sequence[np.ndarray]], rng: np.random.Generator) -> np.ndarray:
    """Each voice's utterances back to back (short gaps), looped from a random point; all summed."""
    total = np.zeros(n, dtype=np.float64)
    for utterances in voices:
        gap = np.zeros(int(SR * 0.15), dtype=np.float32)
        stream = np.concatenate([x for u in utterances for x in (unit_rms(u), gap)])
        reps = -(-(n + stream.size) // stream.size)
        looped = np.tile(stream, reps)
        start = int(rng.integers(0, stream.size))
        total += looped[start : start + n]
    return unit_rms(total)


def hum(n: int, rng: np.random.Generator, *, mains_hz: float = 50.0, harmonics: int = 6) -> np.ndarray:
    """Mains hum: the fundamental and harmonics (odd ones stronger), slight level wobble."""
    t = np.arange(n) / SR
    out = np.zeros(n)
    for k in range(1, harmonics + 1):
        amplitude = (1.0 if k == 1 else 0.6 / k) * (1.5 if k % 2 else 1.0)
        out += amplitude * np.sin(2 * np.pi * k * mains_hz * t + rng.uniform(0, 2 * np.pi))
    return unit_rms(out * slow_envelope(n, rng, hz=0.3, depth_db=1.5))


def rumble(n: int, rng: np.random.Generator, *, cutoff_hz: float = 80.0) -> np.ndarray:
    """Low-frequency rumble (traffic, building, handling): brown noise low-passed."""
    return unit_rms(lowpass(coloured(n, 2.0, rng), cutoff_hz))


def _events(n: int, rng: np.random.Generator, *, rate_hz: float, length_s: tuple[float, float], make) -> np.ndarray:
    out = np.zeros(n, dtype=np.float64)
    for _ in range(rng.poisson(rate_hz * n / SR)):
        length = int(SR * rng.uniform(*length_s))
        start = int(rng.integers(0, max(1, n - length)))
        piece = make(length)
        out[start : start + piece.size] += piece[: n - start]
    return out


def ambience(n: int, kind: str, distant: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Street or cafe: modulated bed + distant babble (`distant`, RMS 1, length n) + events."""
    if kind == "cafe":
        bed = coloured(n, 1.0, rng) * slow_envelope(n, rng, hz=0.5, depth_db=4)
        talk = lowpass(distant, 3000) * 1.0
        clicks = _events(
            n, rng, rate_hz=0.6, length_s=(0.02, 0.08),
            make=lambda m: highpass(rng.standard_normal(m), 2000) * np.exp(-np.arange(m) / (m / 5)) * 6,
        )
        mix = 0.6 * bed + talk + clicks
    elif kind == "street":
        bed = lowpass(coloured(n, 2.0, rng), 1500) * slow_envelope(n, rng, hz=0.2, depth_db=6)
        swells = _events(
            n, rng, rate_hz=0.12, length_s=(2.0, 5.0),
            make=lambda m: lowpass(rng.standard_normal(m), 800) * np.hanning(m) * 3,
        )
        mix = unit_rms(bed) + swells + 0.35 * lowpass(distant, 2500)
    else:
        raise ValueError(f"unknown ambience {kind!r} (cafe, street)")
    return unit_rms(mix)


# --- signal-to-noise ratio ----------------------------------------------------------------------


def speech_power(speech: np.ndarray, mask: np.ndarray | None) -> float:
    x = speech if mask is None or not mask.any() else speech[mask]
    return float(np.mean(np.square(x, dtype=np.float64)))


def snr_db(speech: np.ndarray, noise: np.ndarray, mask: np.ndarray | None = None) -> float:
    return 10 * np.log10(speech_power(speech, mask) / float(np.mean(np.square(noise, dtype=np.float64))))


def scale_to_snr(speech: np.ndarray, noise: np.ndarray, snr: float, mask: np.ndarray | None = None) -> np.ndarray:
    """`noise` scaled so that speech over it is at `snr` dB."""
    noise_power = float(np.mean(np.square(noise, dtype=np.float64)))
    if noise_power == 0:
        return noise.astype(np.float32)
    gain = np.sqrt(speech_power(speech, mask) / (noise_power * 10 ** (snr / 10)))
    return (noise * gain).astype(np.float32)


def make_noise(spec: dict, n: int, rng: np.random.Generator, voices: Sequence[Sequence[np.ndarray]] = ()) -> np.ndarray:
    """A noise of the recipe (`kind`: pink, brown, babble, cafe, street, hum, rumble), RMS 1."""
    kind = spec["kind"]
    if kind == "pink":
        return coloured(n, 1.0, rng)
    if kind == "brown":
        return coloured(n, 2.0, rng)
    if kind == "babble":
        return babble(n, voices, rng)
    if kind in ("cafe", "street"):
        return ambience(n, kind, babble(n, voices, rng), rng)
    if kind == "hum":
        return hum(n, rng, mains_hz=float(spec.get("mains_hz", 50)))
    if kind == "rumble":
        return rumble(n, rng)
    raise ValueError(f"unknown noise kind {kind!r}")
