import io
import wave

import av
import numpy as np
import pytest

from selective_speaker.speech.audio import decode_audio, rms_dbfs
from selective_speaker.speech.types import SAMPLE_RATE, AudioError, RejectionCode

from .conftest import ENROLLMENT_FILES, load

FORMATS = [
    # (container, codec, extension)
    ("wav", "pcm_s16le", "wav"),
    ("flac", "flac", "flac"),
    ("ogg", "libopus", "ogg"),
    ("ipod", "aac", "m4a"),
    ("mp3", "libmp3lame", "mp3"),
    ("webm", "libopus", "webm"),
]


def encode(samples: np.ndarray, container: str, codec: str, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """Encode float samples with PyAV, as a phone would record them."""
    buffer = io.BytesIO()
    layout = "mono" if channels == 1 else "stereo"
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        frame_format = stream.codec_context.format.name if stream.codec_context.format else "s16"
        resampler = av.AudioResampler(format=frame_format, layout=layout, rate=rate)
        source = np.tile(samples, (channels, 1)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(source.reshape(1, -1) if channels == 1 else source.T.reshape(1, -1), format="flt", layout=layout)
        frame.sample_rate = rate
        for resampled in resampler.resample(frame):
            for packet in stream.encode(resampled):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def speech():
    return load(ENROLLMENT_FILES[0])


@pytest.mark.parametrize("container, codec, ext", FORMATS, ids=[f"{c}-{k}" for c, k, _ in FORMATS])
def test_it_decodes_every_common_format_to_16k_mono(speech, container, codec, ext):
    try:
        data = encode(speech, container, codec)
    except (av.error.FFmpegError, ValueError) as exc:  # pragma: no cover - depends on the PyAV build
        pytest.fail(f"this PyAV build cannot encode {codec} to make the test input: {exc}")
    samples, info = decode_audio(data)
    assert samples.dtype == np.float32
    assert abs(samples.size - speech.size) < 0.15 * SAMPLE_RATE  # codec priming/padding only (AAC: ~94 ms)
    assert info.duration_ms == pytest.approx(speech.size / 16, abs=150)
    assert abs(rms_dbfs(samples) - rms_dbfs(speech)) < 1.5


@pytest.mark.parametrize("rate, channels", [(48000, 2), (8000, 1), (44100, 2)])
def test_it_resamples_and_downmixes(speech, rate, channels):
    import soundfile as sf

    resampled = np.interp(np.arange(0, speech.size, SAMPLE_RATE / rate), np.arange(speech.size), speech)
    buffer = io.BytesIO()
    sf.write(buffer, np.tile(resampled[:, None], (1, channels)), rate, format="WAV")
    samples, info = decode_audio(buffer.getvalue())
    assert info.sample_rate == rate and info.channels == channels
    assert abs(samples.size - speech.size) < SAMPLE_RATE // 50


def test_it_reads_paths_and_file_objects():
    from_path, _ = decode_audio(ENROLLMENT_FILES[0])
    with open(ENROLLMENT_FILES[0], "rb") as fh:
        from_file, _ = decode_audio(fh)
    assert np.array_equal(from_path, from_file)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"this is a text file, not a recording", "not audio"),
        (b"\x00" * 4096, "not audio"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not audio"),
    ],
)
def test_it_refuses_what_is_not_audio(data, message):
    with pytest.raises(AudioError, match=message) as refused:
        decode_audio(data)
    assert refused.value.code == RejectionCode.UNREADABLE_AUDIO


def test_it_refuses_a_truncated_upload():
    data = ENROLLMENT_FILES[0].read_bytes()
    with pytest.raises(AudioError, match="truncated") as refused:
        decode_audio(data[: len(data) // 2])
    assert refused.value.code == RejectionCode.UNREADABLE_AUDIO


def test_it_refuses_over_long_audio_while_decoding():
    with pytest.raises(AudioError, match="longer than the limit of 3 s") as refused:
        decode_audio(ENROLLMENT_FILES[0], max_duration_ms=3000)
    assert refused.value.code == RejectionCode.TOO_LONG


def test_it_refuses_too_short_audio_with_a_code():
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(800, np.float32), 16000, format="WAV")  # 50 ms
    with pytest.raises(AudioError, match="audio is too short") as refused:
        decode_audio(buffer.getvalue())
    assert refused.value.code == RejectionCode.TOO_SHORT


def test_it_refuses_a_wav_with_no_samples():
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    with pytest.raises(AudioError):
        decode_audio(buffer.getvalue())


def test_it_decodes_digital_silence_and_clipping_without_complaint():
    import soundfile as sf

    for signal in (np.zeros(16000), np.clip(np.sin(np.arange(16000) / 3) * 4, -1, 1)):
        buffer = io.BytesIO()
        sf.write(buffer, signal, 16000, format="WAV")
        samples, _ = decode_audio(buffer.getvalue())
        assert samples.size == 16000
        assert np.abs(samples).max() <= 1.0
    assert rms_dbfs(np.zeros(10, dtype=np.float32)) == float("-inf")
