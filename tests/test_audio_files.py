import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from selective_speaker.audio_files import audio_extension, check_audio, file_sha256
from selective_speaker.speech.audio import AudioInfo
from tests.audio_samples import wav_bytes


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("x.wav", data)


def with_data_size(wav: bytes, size: int) -> bytes:
    at = wav.index(b"data") + 4
    return wav[:at] + struct.pack("<I", size) + wav[at + 4 :]


def test_it_reads_a_complete_wav():
    info = check_audio(upload(wav_bytes(2.0)), max_duration_ms=10_000)
    assert (info.duration_ms, info.codec, info.container) == (2000, "pcm_s16le", "wav")


def test_it_refuses_a_cut_off_wav():
    wav = wav_bytes(4.0)
    with pytest.raises(ValidationError, match="truncated: it declares 4.0 s but holds 1.0 s"):
        check_audio(upload(wav[: 44 + 32_000]), max_duration_ms=10_000)


@pytest.mark.parametrize("size", [0, 0xFFFFFFFF])
def test_it_accepts_a_wav_written_while_streaming(size):
    """Recorders that could not go back to fill in the sizes leave 0 or 0xFFFFFFFF."""
    info = check_audio(upload(with_data_size(wav_bytes(1.0), size)), max_duration_ms=10_000)
    assert info.duration_ms == 1000


def test_it_leaves_the_file_ready_to_store():
    audio = upload(wav_bytes(1.0))
    check_audio(audio, max_duration_ms=10_000)
    assert audio.tell() == 0
    assert file_sha256(audio) == file_sha256(audio)


@pytest.mark.parametrize(
    "container, extension",
    [("wav", "wav"), ("mov,mp4,m4a,3gp,3g2,mj2", "m4a"), ("matroska,webm", "webm"), ("w64", "w64"), ("", "bin")],
)
def test_it_names_the_stored_file_after_the_container(container, extension):
    assert audio_extension(AudioInfo(1000, "x", container, 16000, 1)) == extension
