"""selective_speaker/audio_probe.py: the bounded check of a chunk upload — the header, the first
and the last half second — and its fall-back to a full decode where that cannot tell."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from selective_speaker import audio_probe
from selective_speaker.audio_probe import probe_audio
from selective_speaker.speech.audio import decode_audio
from selective_speaker.speech.types import AudioError, RejectionCode
from tests.audio_samples import av_bytes, wav_bytes


def float_wav(samples: np.ndarray) -> io.BytesIO:
    buffer = io.BytesIO()
    sf.write(buffer, samples.astype(np.float32), 16_000, format="WAV", subtype="FLOAT")
    buffer.seek(0)
    return buffer


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return 0.3 * np.sin(2 * np.pi * 220 * t)


@pytest.mark.parametrize(
    "container, codec, extension",
    [("ogg", "libopus", "ogg"), ("mp4", "aac", "mov,mp4,m4a,3gp,3g2,mj2"), ("mp3", "libmp3lame", "mp3")],
)
def test_it_reads_what_the_container_declares(container, codec, extension):
    info = probe_audio(io.BytesIO(av_bytes(6.0, container=container, codec=codec)), max_duration_ms=60_000)
    assert info is not None
    assert (info.container, info.sample_rate, info.channels) == (extension, 48_000, 1)
    assert abs(info.duration_ms - 6000) <= 60


def test_it_decodes_only_both_ends_the_worker_judges_the_middle():
    samples = tone(6.0)
    samples[3 * 16_000 : 4 * 16_000] = np.nan  # seconds 3–4 are not numbers
    info = probe_audio(float_wav(samples), max_duration_ms=60_000)
    assert info.duration_ms == 6000
    with pytest.raises(AudioError, match="non-finite"):
        decode_audio(float_wav(samples), max_duration_ms=60_000)


def test_it_refuses_a_declared_duration_over_the_limit_before_decoding(monkeypatch):
    monkeypatch.setattr(audio_probe, "_decode", lambda *a, **kw: pytest.fail("decoded"))
    flac = io.BytesIO(wav_bytes(90.0, fmt="FLAC"))
    with pytest.raises(AudioError, match="longer than the limit of 60 s") as excinfo:
        probe_audio(flac, max_duration_ms=60_000)
    assert excinfo.value.code == RejectionCode.TOO_LONG


@pytest.mark.parametrize("container, codec", [("mp3", "libmp3lame"), ("webm", "libopus")])
def test_it_leaves_a_cut_off_file_to_the_full_decode(container, codec):
    whole = av_bytes(6.0, container=container, codec=codec)
    cut = whole[: len(whole) * 2 // 3]
    assert probe_audio(io.BytesIO(cut), max_duration_ms=60_000) is None
    with pytest.raises(AudioError, match="truncated"):
        decode_audio(io.BytesIO(cut), max_duration_ms=60_000)


def test_it_checks_a_file_that_ends_within_its_first_span_exactly(monkeypatch):
    monkeypatch.setattr(audio_probe, "_tail_complete", lambda *a: pytest.fail("not decoded whole"))
    info = probe_audio(float_wav(tone(0.3)), max_duration_ms=60_000)
    assert info.duration_ms == 300
    with pytest.raises(AudioError, match="too short"):
        probe_audio(float_wav(tone(0.05)), max_duration_ms=60_000)


@pytest.mark.parametrize("data, says", [(b"not audio at all" * 20, "not audio"), (wav_bytes(0.0), "no audio samples")])
def test_it_refuses_what_is_not_audio(data, says):
    with pytest.raises(AudioError, match=says):
        probe_audio(io.BytesIO(data), max_duration_ms=60_000)
