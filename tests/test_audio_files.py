import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save

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


def _stored(db_audio: bytes):
    from tests.factories import ChunkFactory

    chunk = ChunkFactory(audio=SimpleUploadedFile("c.wav", db_audio))
    return chunk.audio


def _read_wav(data: bytes):
    import io
    import wave

    with wave.open(io.BytesIO(data), "rb") as clip:
        return clip.getnchannels(), clip.getsampwidth(), clip.getframerate(), clip.getnframes()


@pytest.mark.django_db
def test_wav_clip_cuts_the_range_as_16_khz_mono_pcm():
    from selective_speaker.audio_files import wav_clip

    stored = _stored(wav_bytes(3.0, sample_rate=44_100, channels=2))
    clip = wav_clip(stored, start_ms=500, end_ms=1750, max_duration_ms=60_000)
    assert clip[:4] == b"RIFF" and clip[8:12] == b"WAVE"
    assert _read_wav(clip) == (1, 2, 16_000, 20_000)  # 1.25 s at 16 kHz


@pytest.mark.django_db
def test_wav_clip_clamps_the_range_to_the_audio():
    from selective_speaker.audio_files import wav_clip

    stored = _stored(wav_bytes(2.0))
    assert _read_wav(wav_clip(stored, start_ms=-300, end_ms=500, max_duration_ms=60_000))[3] == 8_000
    assert _read_wav(wav_clip(stored, start_ms=1500, end_ms=9_000, max_duration_ms=60_000))[3] == 8_000
    assert _read_wav(wav_clip(stored, start_ms=5000, end_ms=6000, max_duration_ms=60_000))[3] == 0


@pytest.mark.django_db
def test_wav_clip_keeps_the_samples():
    import io

    import numpy as np
    import soundfile as sf

    from selective_speaker.audio_files import wav_clip

    original = wav_bytes(1.0, seed=7)
    expected, _ = sf.read(io.BytesIO(original), dtype="float32")
    clip, rate = sf.read(io.BytesIO(wav_clip(_stored(original), start_ms=250, end_ms=500, max_duration_ms=60_000)), dtype="float32")
    assert rate == 16_000
    assert np.allclose(clip, expected[4_000:8_000], atol=2 / 32768)


@pytest.mark.django_db
def test_wav_clip_raises_audio_error_when_the_file_is_gone_or_garbage():
    from selective_speaker.audio_files import wav_clip
    from selective_speaker.speech.types import AudioError

    stored = _stored(wav_bytes(1.0))
    stored.storage.delete(stored.name)
    with pytest.raises(AudioError, match="missing"):
        wav_clip(stored, start_ms=0, end_ms=500, max_duration_ms=60_000)
    with pytest.raises(AudioError):
        wav_clip(_stored(b"not audio at all" * 100), start_ms=0, end_ms=500, max_duration_ms=60_000)


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["moved away", "empty mount point"])
def test_it_tells_a_store_that_is_not_there_from_a_missing_file(media_root, outage):
    """A local directory that went away makes `exists()` answer False: a storage error
    (transient), not a file gone for good (AudioError, permanent)."""
    from selective_speaker.audio_files import StoreNotThere, read_stored_audio, storage_errors

    stored = _stored(wav_bytes(1.0))
    media_root.rename(media_root.with_name("away"))
    if outage == "empty mount point":
        media_root.mkdir()
    with pytest.raises(StoreNotThere, match="the file store") as raised:
        read_stored_audio(stored, max_duration_ms=60_000)
    assert isinstance(raised.value, storage_errors())


@pytest.mark.django_db
def test_a_remote_store_that_lacks_the_file_has_lost_it():
    from selective_speaker.audio_files import read_stored_audio
    from selective_speaker.speech.types import AudioError, RejectionCode

    class RemoteStore(Storage):  # not a local directory: S3 says when it is down
        def exists(self, name):
            return False

    stored = _stored(wav_bytes(1.0))
    stored.storage = RemoteStore()
    with pytest.raises(AudioError, match="missing") as raised:
        read_stored_audio(stored, max_duration_ms=60_000)
    assert raised.value.code == RejectionCode.AUDIO_MISSING


@pytest.mark.django_db
def test_it_deletes_the_file_of_a_row_rolled_back_with_the_callers_transaction(media_root):
    """Inside the caller's transaction the save is a savepoint: a failure rolls the row back,
    so nothing can point at the file."""
    from django.db import OperationalError

    from chunks.models import Chunk
    from selective_speaker.audio_files import save_with_stored_audio
    from tests.factories import ChunkFactory

    chunk = ChunkFactory.build(user=ChunkFactory().user)
    chunk.audio.save("c.wav", SimpleUploadedFile("c.wav", wav_bytes(1.0)), save=False)
    name = chunk.audio.name

    def insert_then_fail(**kwargs):
        raise OperationalError("the savepoint could not be released")

    post_save.connect(insert_then_fail, sender=Chunk, dispatch_uid="insert_then_fail")
    try:
        with pytest.raises(OperationalError):  # the test's transaction is the caller's
            save_with_stored_audio(chunk)
    finally:
        post_save.disconnect(sender=Chunk, dispatch_uid="insert_then_fail")
    assert chunk.pk is not None and not Chunk.objects.filter(pk=chunk.pk).exists()
    assert not chunk.audio and not (media_root / name).exists()
