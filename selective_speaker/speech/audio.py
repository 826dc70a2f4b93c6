"""Decode any common audio container/codec to 16 kHz mono float32.

PyAV (FFmpeg) does the work, so wav, flac, ogg/opus, m4a/aac, mp3 and webm all decode the same
way. Garbage, empty, truncated, silent-by-construction or over-long input raises `AudioError`
with a reason a person can act on.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from .types import SAMPLE_RATE, AudioError, RejectionCode, ms_to_samples, samples_to_ms

__all__ = ["AudioInfo", "decode_audio", "join_clips", "ms_to_samples", "rms_dbfs", "samples_to_ms"]

UNREADABLE = RejectionCode.UNREADABLE_AUDIO

Source = str | os.PathLike | bytes | BinaryIO

# A decoded chunk shorter than this holds no usable speech.
MIN_DURATION_MS = 100
# Decoding this much less than the container declares means the upload was cut short.
TRUNCATION_TOLERANCE_MS = 250


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the upload was, before resampling."""

    duration_ms: int
    codec: str
    container: str
    sample_rate: int
    channels: int


def _open(source: Source):
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        source = str(Path(source))
    try:
        return av.open(source, mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioError("the file is not audio in a format we can read", code=UNREADABLE) from exc


def decode_audio(source: Source, *, max_duration_ms: int | None = None) -> tuple[np.ndarray, AudioInfo]:
    """Return (samples, info): 16 kHz mono float32 samples and facts about the original.

    `max_duration_ms` is checked while decoding, so an over-long upload is refused without
    decoding all of it.
    """
    if isinstance(source, bytes) and not source:
        raise AudioError("the file is empty", code=UNREADABLE)
    if hasattr(source, "seek"):
        source.seek(0)
    container = _open(source)
    try:
        streams = container.streams.audio
        if not streams:
            raise AudioError("the file has no audio stream", code=UNREADABLE)
        stream = streams[0]
        ctx = stream.codec_context
        info_codec = ctx.name or "unknown"
        info_rate = ctx.sample_rate or 0
        info_channels = ctx.channels or 0
        declared_ms = _declared_duration_ms(container, stream)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pieces: list[np.ndarray] = []
        total = 0
        limit = None if max_duration_ms is None else ms_to_samples(max_duration_ms)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray().reshape(-1)
                    pieces.append(arr)
                    total += arr.size
                if limit is not None and total > limit:
                    raise AudioError(
                        f"the audio is longer than the limit of {max_duration_ms // 1000} s",
                        code=RejectionCode.TOO_LONG,
                    )
            for out in resampler.resample(None):
                arr = out.to_ndarray().reshape(-1)
                pieces.append(arr)
                total += arr.size
        except av.error.FFmpegError as exc:
            if total == 0:
                raise AudioError("the audio could not be decoded (damaged or unsupported)", code=UNREADABLE) from exc
            # A truncated tail: keep what decoded cleanly, as players do.
        container_name = container.format.name if container.format else "unknown"
    finally:
        container.close()

    if total == 0:
        raise AudioError("the file holds no audio samples", code=UNREADABLE)
    samples = np.concatenate(pieces).astype(np.float32, copy=False)
    if limit is not None and samples.size > limit:
        raise AudioError(
            f"the audio is longer than the limit of {max_duration_ms // 1000} s", code=RejectionCode.TOO_LONG
        )
    duration_ms = samples_to_ms(samples.size)
    check_decoded_length(duration_ms, declared_ms)
    if not np.isfinite(samples).all():
        raise AudioError("the audio holds invalid (non-finite) samples", code=UNREADABLE)
    np.clip(samples, -1.0, 1.0, out=samples)
    info = AudioInfo(
        duration_ms=duration_ms,
        codec=info_codec,
        container=container_name,
        sample_rate=info_rate,
        channels=info_channels,
    )
    return samples, info


def check_decoded_length(duration_ms: int, declared_ms: int | None) -> None:
    """AudioError when what decoded is much shorter than the file declares (truncated) or too
    short to hold speech — the same verdict for a full decode and for the upload's probe."""
    if declared_ms and duration_ms < declared_ms - TRUNCATION_TOLERANCE_MS:
        raise AudioError(
            f"the file is truncated: it declares {declared_ms / 1000:.1f} s "
            f"but only {duration_ms / 1000:.1f} s could be decoded",
            code=UNREADABLE,
        )
    if duration_ms < MIN_DURATION_MS:
        raise AudioError(f"the audio is too short ({duration_ms} ms)", code=RejectionCode.TOO_SHORT)


def _declared_duration_ms(container, stream) -> int | None:
    if stream.duration is not None and stream.time_base is not None:
        return int(stream.duration * stream.time_base * 1000)
    if container.duration is not None:
        return int(container.duration // 1000)  # microseconds
    return None


def rms_dbfs(samples: np.ndarray) -> float:
    """Loudness of the samples in dB relative to full scale (-inf for digital silence)."""
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def join_clips(clips: list[np.ndarray], gap_ms: int) -> np.ndarray:
    """The clips one after the other, `gap_ms` of silence between them (float32)."""
    gap = np.zeros(ms_to_samples(gap_ms), dtype=np.float32)
    pieces: list[np.ndarray] = []
    for clip in clips:
        pieces += [np.asarray(clip, dtype=np.float32), gap]
    return np.concatenate(pieces[:-1]).astype(np.float32, copy=False)
