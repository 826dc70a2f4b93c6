"""Small synthetic audio files for upload tests (tones: fine for validation, not for speech)."""

from __future__ import annotations

import io
import itertools

import numpy as np
import soundfile as sf

_unique = itertools.count(1)


def wav_bytes(
    seconds: float = 1.0,
    *,
    freq: float = 440.0,
    sample_rate: int = 16_000,
    channels: int = 1,
    seed: int | None = None,
    subtype: str = "PCM_16",
    fmt: str = "WAV",
) -> bytes:
    """A tone with a little noise. Each call gives different bytes unless `seed` is given."""
    rng = np.random.default_rng(next(_unique) if seed is None else seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    mono = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    data = np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono
    buffer = io.BytesIO()
    sf.write(buffer, data.astype(np.float32), sample_rate, format=fmt, subtype=subtype)
    return buffer.getvalue()
