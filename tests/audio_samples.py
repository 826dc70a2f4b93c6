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


def silent_wav_bytes(seconds: float = 1.0, *, sample_rate: int = 16_000) -> bytes:
    """Digital silence: every sample zero."""
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(int(seconds * sample_rate), dtype=np.int16), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def clipped_wav_bytes(seconds: float = 1.0, *, sample_rate: int = 16_000, seed: int | None = None) -> bytes:
    """A tone driven far past full scale, so most samples sit at ±32767 (a microphone that clips)."""
    rng = np.random.default_rng(next(_unique) if seed is None else seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    loud = 4.0 * np.sin(2 * np.pi * 220.0 * t) + 0.05 * rng.standard_normal(t.size)
    pcm = (np.clip(loud, -1.0, 1.0) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    sf.write(buffer, pcm, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def av_bytes(
    seconds: float = 1.0,
    *,
    container: str,
    codec: str,
    sample_rate: int = 48_000,
    channels: int = 1,
    freq: float = 440.0,
    seed: int | None = None,
) -> bytes:
    """A tone encoded with PyAV (FFmpeg): e.g. container="mp4", codec="aac" for m4a, or
    container="webm", codec="libopus". Each call gives different bytes unless `seed` is given."""
    import av

    rng = np.random.default_rng(next(_unique) if seed is None else seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    mono = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    pcm = (np.clip(mono, -1.0, 1.0) * 32767).astype(np.int16)
    interleaved = np.repeat(pcm[:, None], channels, axis=1).reshape(1, -1)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=sample_rate, layout="stereo" if channels == 2 else "mono")
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout=stream.layout.name)
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()
