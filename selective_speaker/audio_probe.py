"""The bounded audio check of a chunk upload: what the request path can afford to look at.

A full decode of a 60 s Opus chunk costs 150–250 ms of CPU; this check costs a few ms whatever
the length. It opens the container with PyAV (FFmpeg) and reads what it declares — format,
codec, sample rate, channels, duration — and refuses a declared duration over the limit before
decoding anything (a decompression bomb that says what it is). Then it decodes the first half
second (the audio is decodable, its samples are numbers) and, after a seek to half a second
before the declared end, the rest (the file holds the length it declares: not cut off in
transfer). A file that ends within the first half second is decoded whole and checked exactly
as the worker would.

What it cannot see — damage or invalid samples in the middle, a container that declares less
audio than it holds — the worker's full decode finds (bounded by the same limit), and the
chunk then fails with that reason. Where a quick look cannot tell (no declared duration, a
container that cannot seek, a tail that does not decode after the seek), `probe_audio` answers
None and the caller decodes the whole file instead: slower, never a wrong verdict.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

from selective_speaker.speech.audio import TRUNCATION_TOLERANCE_MS, AudioInfo, check_decoded_length
from selective_speaker.speech.types import SAMPLE_RATE, AudioError, RejectionCode, samples_to_ms

UNREADABLE = RejectionCode.UNREADABLE_AUDIO
# Audio decoded at each end of the file.
PROBE_MS = 500
# Spans decoded at most after the seek to the end (a seek lands on a page, packet or frame
# before it: up to a few seconds early in a FLAC file without a seek table).
TAIL_SPANS = 10


@dataclass
class _Span:
    """What decoding part of the stream found."""

    samples: int = 0  # at 16 kHz mono
    ended: bool = False  # the stream ended (or broke off) within the span
    end_s: float | None = None  # where the last decoded frame ends, by its timestamp


def probe_audio(source: str | os.PathLike | BinaryIO, *, max_duration_ms: int) -> AudioInfo | None:
    """The upload's AudioInfo from a bounded look; AudioError with a reason a person can act on
    when it is not usable audio; None when only a full decode can tell."""
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        container = av.open(source, mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioError("the file is not audio in a format we can read", code=UNREADABLE) from exc
    with container:
        if not container.streams.audio:
            raise AudioError("the file has no audio stream", code=UNREADABLE)
        stream = container.streams.audio[0]
        declared_ms = _declared_duration_ms(container, stream)
        if declared_ms is not None and declared_ms > max_duration_ms:
            raise _too_long(max_duration_ms)
        head = _decode(container, stream, first=True)
        if head.ended:
            duration_ms = _whole_file_checks(head, declared_ms, max_duration_ms)
        elif declared_ms is None or not _tail_complete(container, stream, declared_ms):
            return None
        else:
            duration_ms = declared_ms
        ctx = stream.codec_context
        return AudioInfo(
            duration_ms=duration_ms,
            codec=ctx.name or "unknown",
            container=container.format.name if container.format else "unknown",
            sample_rate=ctx.sample_rate or 0,
            channels=ctx.channels or 0,
        )


def _declared_duration_ms(container, stream) -> int | None:
    if stream.duration is not None and stream.time_base is not None:
        return int(stream.duration * stream.time_base * 1000)
    if container.duration is not None:
        return int(container.duration // 1000)  # microseconds
    return None


def _too_long(max_duration_ms: int) -> AudioError:
    return AudioError(f"the audio is longer than the limit of {max_duration_ms // 1000} s", code=RejectionCode.TOO_LONG)


def _decode(container, stream, *, first: bool) -> _Span:
    """Decode up to PROBE_MS from where the container stands. The first span of a file must
    decode; a later one that breaks off counts as ended."""
    span = _Span()
    wanted = SAMPLE_RATE * PROBE_MS // 1000
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    try:
        for frame in container.decode(stream):
            if frame.pts is not None and frame.time_base is not None and frame.sample_rate:
                span.end_s = float(frame.pts * frame.time_base) + frame.samples / frame.sample_rate
            for out in resampler.resample(frame):
                _count(span, out.to_ndarray())
            if span.samples >= wanted:
                return span
        for out in resampler.resample(None):
            _count(span, out.to_ndarray())
    except av.error.FFmpegError as exc:
        if first and span.samples == 0:
            raise AudioError("the audio could not be decoded (damaged or unsupported)", code=UNREADABLE) from exc
    span.ended = True
    return span


def _count(span: _Span, samples: np.ndarray) -> None:
    if not np.isfinite(samples).all():
        raise AudioError("the audio holds invalid (non-finite) samples", code=UNREADABLE)
    span.samples += samples.size


def _whole_file_checks(head: _Span, declared_ms: int | None, max_duration_ms: int) -> int:
    """The checks of a full decode, for a file that ended within the first span."""
    if head.samples == 0:
        raise AudioError("the file holds no audio samples", code=UNREADABLE)
    duration_ms = samples_to_ms(head.samples)
    if duration_ms > max_duration_ms:
        raise _too_long(max_duration_ms)
    check_decoded_length(duration_ms, declared_ms)
    return duration_ms


def _tail_complete(container, stream, declared_ms: int) -> bool:
    """Whether the audio really reaches the declared end: seek to PROBE_MS before it and decode
    to the end. False when that cannot be told this way (the caller decodes it all)."""
    for before_ms in (PROBE_MS, 4 * PROBE_MS):  # FFmpeg refuses some seeks into a FLAC's last frames
        try:
            target_s = max(declared_ms - before_ms, 0) / 1000
            container.seek(int(target_s / stream.time_base), stream=stream, backward=True)
            break
        except (av.error.FFmpegError, ValueError, ZeroDivisionError, TypeError):
            continue
    else:
        return False
    tail = _decode(container, stream, first=False)
    for _ in range(TAIL_SPANS - 1):  # the seek landed further back than asked: go on to the end
        if tail.ended:
            break
        end_s = tail.end_s
        tail = _decode(container, stream, first=False)
        tail.end_s = tail.end_s or end_s
    # Not at the end after TAIL_SPANS (more audio than declared?): the full decode decides.
    return tail.ended and tail.end_s is not None and tail.end_s * 1000 >= declared_ms - TRUNCATION_TOLERANCE_MS
