"""Bad uploads against POST /api/v1/chunks/ and POST /api/v1/enrollments/: every one answers a
4xx that names the field at fault, and leaves nothing half-stored — no row, no file under
MEDIA_ROOT, no job queued. Valid but unusual audio is accepted (202).

The matrix is data: BAD_AUDIO (sent to both endpoints), BAD_CHUNK_FIELDS, BAD_ENROLLMENT_FIELDS
and ODD_AUDIO. BAD_INPUT_REQUESTS and ODD_AUDIO_REQUESTS are the counts the README quotes.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile

from chunks.models import Chunk
from enrollment.models import Enrollment
from tests.audio_samples import av_bytes, clipped_wav_bytes, silent_wav_bytes, wav_bytes

CHUNKS = "/api/v1/chunks/"
ENROLLMENTS = "/api/v1/enrollments/"
ENDPOINTS = {"chunk": CHUNKS, "enrollment": ENROLLMENTS}
VALID_CHUNK_FIELDS = {"device_id": "phone-1", "start_ts": "2024-05-01T09:30:00Z"}


# --- bytes that are not (complete) audio ----------------------------------------------------


def png_bytes() -> bytes:
    """A 4×4 red PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def video_only_bytes() -> bytes:
    """An MP4 with a video stream and no audio stream."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def float_wav_bytes(value: float, seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.full(int(seconds * 16_000), value, dtype=np.float32), 16_000, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def first_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def streaming_wav_bytes(seconds: float = 1.0) -> bytes:
    """A WAV as a recorder writes it while recording: RIFF and data sizes still unknown."""
    data = bytearray(wav_bytes(seconds))
    data_chunk = data.index(b"data")
    data[4:8] = data[data_chunk + 4 : data_chunk + 8] = struct.pack("<I", 0xFFFFFFFF)
    return bytes(data)


def ogg_without_last_page(data: bytes) -> bytes:
    """An Ogg file that stops after a whole page, before the end-of-stream page (a recorder
    that died leaves this)."""
    offset, last_start = 0, 0
    while offset < len(data):
        last_start = offset
        segments = data[offset + 26]
        lacing = data[offset + 27 : offset + 27 + segments]
        offset += 27 + segments + sum(lacing)
    return data[:last_start]


# --- the matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """A bad upload: the file (None = no audio field), the answer, and the field it names."""

    file: Callable[[], tuple[str, bytes] | str | None]
    status: int = 400
    field: str = "audio"
    says: str = ""  # part of the field's first message
    limits: dict | None = None  # settings for the case


def _file(name: str, build: Callable[[], bytes]) -> Callable[[], tuple[str, bytes]]:
    return lambda: (name, build())


BAD_AUDIO: dict[str, Bad] = {
    # not audio at all
    "text": Bad(_file("notes.txt", lambda: b"this is not audio at all, just text\n" * 30), says="not audio"),
    "html-named-wav": Bad(_file("clip.wav", lambda: b"<script>alert(1)</script>" * 10), says="not audio"),
    "png": Bad(_file("photo.png", png_bytes), says="no audio stream"),
    "png-named-wav": Bad(_file("clip.wav", png_bytes), says="no audio stream"),
    "video-without-audio": Bad(_file("clip.mp4", video_only_bytes), says="no audio stream"),
    "random-bytes": Bad(_file("clip.ogg", lambda: np.random.default_rng(1).bytes(20_000)), says="not audio"),
    # empty
    "zero-bytes": Bad(_file("clip.wav", lambda: b""), says="empty"),
    "wav-header-without-samples": Bad(_file("clip.wav", lambda: wav_bytes(0.0)), says="no audio samples"),
    "too-short-50ms": Bad(_file("clip.wav", lambda: wav_bytes(0.05)), says="too short"),
    # truncated (cut off in transfer or by a recorder that died)
    "truncated-wav": Bad(_file("clip.wav", lambda: wav_bytes(4.0)[:40_000]), says="truncated"),
    "wav-header-only": Bad(_file("clip.wav", lambda: wav_bytes(4.0)[:30]), says="not audio"),
    "truncated-ogg-vorbis": Bad(
        _file("clip.ogg", lambda: first_half(wav_bytes(4.0, fmt="OGG", subtype="VORBIS", sample_rate=44_100))),
        says="truncated",
    ),
    "truncated-ogg-opus": Bad(
        _file("clip.opus", lambda: first_half(av_bytes(4.0, container="ogg", codec="libopus"))), says="truncated"
    ),
    "truncated-mp3": Bad(
        _file("clip.mp3", lambda: first_half(wav_bytes(4.0, fmt="MP3", subtype="MPEG_LAYER_III", sample_rate=44_100))),
        says="truncated",
    ),
    "truncated-flac": Bad(_file("clip.flac", lambda: first_half(wav_bytes(4.0, fmt="FLAC"))), says="truncated"),
    "truncated-m4a": Bad(_file("clip.m4a", lambda: first_half(av_bytes(4.0, container="mp4", codec="aac")))),
    "truncated-webm": Bad(
        _file("clip.webm", lambda: first_half(av_bytes(4.0, container="webm", codec="libopus"))), says="truncated"
    ),
    # decodes, but the samples are not numbers
    "nan-samples": Bad(_file("clip.wav", lambda: float_wav_bytes(float("nan"))), says="non-finite"),
    "infinite-samples": Bad(_file("clip.wav", lambda: float_wav_bytes(float("inf"))), says="non-finite"),
    # limits
    "over-max-upload-mb": Bad(
        _file("clip.wav", lambda: wav_bytes(40.0)), status=413, limits={"MAX_UPLOAD_MB": 1}  # 1.28 MB
    ),
    "over-max-seconds": Bad(
        _file("clip.wav", lambda: wav_bytes(3.0)),
        says="longer than the limit",
        limits={"MAX_CHUNK_SECONDS": 2, "MAX_ENROLL_SECONDS": 2},
    ),
    # not a file
    "audio-missing": Bad(lambda: None, says="No file was submitted"),
    "audio-as-text-field": Bad(lambda: "RIFF....WAVEfmt ", says="not a file"),
}

BAD_CHUNK_FIELDS: dict[str, tuple[dict, str]] = {
    # missing
    "device_id-missing": ({"device_id": None}, "device_id"),
    "start_ts-missing": ({"start_ts": None}, "start_ts"),
    # malformed, timezone-less and impossible timestamps
    "start_ts-empty": ({"start_ts": ""}, "start_ts"),
    "start_ts-words": ({"start_ts": "yesterday"}, "start_ts"),
    "start_ts-month-13": ({"start_ts": "2024-13-01T09:30:00Z"}, "start_ts"),
    "start_ts-hour-25": ({"start_ts": "2024-05-01T25:00:00Z"}, "start_ts"),
    "start_ts-epoch-number": ({"start_ts": "1714555800"}, "start_ts"),
    "start_ts-date-only": ({"start_ts": "2024-05-01"}, "start_ts"),
    "start_ts-no-timezone": ({"start_ts": "2024-05-01T09:30:00"}, "start_ts"),
    "start_ts-offset-out-of-range": ({"start_ts": "2024-05-01T09:30:00+25:00"}, "start_ts"),
    "start_ts-year-9999": ({"start_ts": "9999-12-31T23:59:59Z"}, "start_ts"),
    "start_ts-year-1-east-of-utc": ({"start_ts": "0001-01-01T00:00:00+01:00"}, "start_ts"),
    "end_ts-no-timezone": ({"end_ts": "2024-05-01T09:31:00"}, "end_ts"),
    "end_ts-before-start": ({"end_ts": "2024-05-01T09:29:59Z"}, "end_ts"),
    "end_ts-words": ({"end_ts": "soon"}, "end_ts"),
    # GPS
    "gps_lat-above-90": ({"gps_lat": "90.0001", "gps_lon": "2"}, "gps_lat"),
    "gps_lat-below-minus-90": ({"gps_lat": "-91", "gps_lon": "2"}, "gps_lat"),
    "gps_lon-above-180": ({"gps_lat": "48", "gps_lon": "180.5"}, "gps_lon"),
    "gps_lon-below-minus-180": ({"gps_lat": "48", "gps_lon": "-181"}, "gps_lon"),
    "gps_lat-nan": ({"gps_lat": "nan", "gps_lon": "2"}, "gps_lat"),
    "gps_lon-NaN": ({"gps_lat": "48", "gps_lon": "NaN"}, "gps_lon"),
    "gps_lat-inf": ({"gps_lat": "inf", "gps_lon": "2"}, "gps_lat"),
    "gps_lon-minus-infinity": ({"gps_lat": "48", "gps_lon": "-Infinity"}, "gps_lon"),
    "gps_lat-overflows-to-inf": ({"gps_lat": "1e400", "gps_lon": "2"}, "gps_lat"),
    "gps_lat-words": ({"gps_lat": "north", "gps_lon": "2"}, "gps_lat"),
    "gps_lat-only": ({"gps_lat": "48.1"}, "gps_lon"),
    "gps_lon-only": ({"gps_lon": "2.3"}, "gps_lat"),
    "gps_lat-empty-with-lon": ({"gps_lat": "", "gps_lon": "2.3"}, "gps_lat"),
    # absurd device ids
    "device_id-empty": ({"device_id": ""}, "device_id"),
    "device_id-blank": ({"device_id": "   "}, "device_id"),
    "device_id-65-chars": ({"device_id": "a" * 65}, "device_id"),
    "device_id-10k-chars": ({"device_id": "a" * 10_000}, "device_id"),
    "device_id-unicode": ({"device_id": "téléphone"}, "device_id"),
    "device_id-emoji": ({"device_id": "📱"}, "device_id"),
    "device_id-slash": ({"device_id": "phone/1"}, "device_id"),
    "device_id-path-traversal": ({"device_id": "../../etc/passwd"}, "device_id"),
    "device_id-sql": ({"device_id": "x'; DROP TABLE chunks_chunk;--"}, "device_id"),
    "device_id-html": ({"device_id": "<script>alert(1)</script>"}, "device_id"),
    "device_id-space": ({"device_id": "phone 1"}, "device_id"),
    "device_id-nul-byte": ({"device_id": "phone\x001"}, "device_id"),
    "device_id-newline": ({"device_id": "phone\n1"}, "device_id"),
}

BAD_ENROLLMENT_FIELDS: dict[str, tuple[dict, str]] = {
    "phrase_text-2001-chars": ({"phrase_text": "a" * 2001}, "phrase_text"),
    "phrase_text-nul-byte": ({"phrase_text": "the quick\x00brown fox"}, "phrase_text"),
}

# Valid audio that is unusual: accepted (202), stored under a name from its content.
ODD_AUDIO: dict[str, tuple[Callable[[], tuple[str, bytes]], str]] = {
    "8-khz": (_file("clip.wav", lambda: wav_bytes(1.0, sample_rate=8_000)), "wav"),
    "48-khz": (_file("clip.wav", lambda: wav_bytes(1.0, sample_rate=48_000)), "wav"),
    "stereo": (_file("clip.wav", lambda: wav_bytes(1.0, channels=2)), "wav"),
    "24-bit": (_file("clip.wav", lambda: wav_bytes(1.0, subtype="PCM_24")), "wav"),
    "float-samples": (_file("clip.wav", lambda: wav_bytes(1.0, subtype="FLOAT")), "wav"),
    "silent": (_file("clip.wav", lambda: silent_wav_bytes(1.0)), "wav"),
    "clipped": (_file("clip.wav", lambda: clipped_wav_bytes(1.0)), "wav"),
    "flac-stereo-48-khz": (
        _file("clip.flac", lambda: wav_bytes(1.0, fmt="FLAC", sample_rate=48_000, channels=2)),
        "flac",
    ),
    "ogg-vorbis": (_file("clip.ogg", lambda: wav_bytes(1.0, fmt="OGG", subtype="VORBIS", sample_rate=44_100)), "ogg"),
    "ogg-opus": (_file("clip.opus", lambda: av_bytes(1.0, container="ogg", codec="libopus")), "ogg"),
    "mp3-stereo": (
        _file("clip.mp3", lambda: wav_bytes(1.0, fmt="MP3", subtype="MPEG_LAYER_III", sample_rate=44_100, channels=2)),
        "mp3",
    ),
    "m4a-aac": (_file("clip.m4a", lambda: av_bytes(1.0, container="mp4", codec="aac", sample_rate=44_100)), "m4a"),
    "raw-aac-adts": (
        _file("clip.aac", lambda: av_bytes(1.0, container="adts", codec="aac", sample_rate=44_100)),
        "aac",
    ),
    "webm-opus-stereo": (
        _file("clip.webm", lambda: av_bytes(1.0, container="webm", codec="libopus", channels=2)),
        "webm",
    ),
    # what a recorder that stopped without finishing the file leaves: kept for what it holds
    "wav-streaming-sizes-unknown": (_file("clip.wav", streaming_wav_bytes), "wav"),
    "ogg-without-end-of-stream-page": (
        _file("clip.ogg", lambda: ogg_without_last_page(av_bytes(2.0, container="ogg", codec="libopus"))),
        "ogg",
    ),
    # the client's name is not trusted: content decides
    "wav-named-mp3": (_file("clip.mp3", lambda: wav_bytes(1.0)), "wav"),
    "wav-without-extension": (_file("clip", lambda: wav_bytes(1.0)), "wav"),
    "wav-named-path-traversal": (_file("../../../etc/passwd", lambda: wav_bytes(1.0)), "wav"),
    "wav-named-unicode": (_file("réunion 🎤 ünïcode.wav", lambda: wav_bytes(1.0)), "wav"),
    "wav-named-255-chars": (_file("a" * 251 + ".wav", lambda: wav_bytes(1.0)), "wav"),
}

BAD_INPUT_REQUESTS = len(BAD_AUDIO) * len(ENDPOINTS) + len(BAD_CHUNK_FIELDS) + len(BAD_ENROLLMENT_FIELDS)
ODD_AUDIO_REQUESTS = len(ODD_AUDIO) * len(ENDPOINTS)


# --- helpers ------------------------------------------------------------------------------


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def post(api, endpoint: str, audio, **fields):
    data = dict(VALID_CHUNK_FIELDS) if endpoint == CHUNKS else {}
    data.update(fields)
    if audio is not None:
        data["audio"] = SimpleUploadedFile(audio[0], audio[1]) if isinstance(audio, tuple) else audio
    return api.post(endpoint, {k: v for k, v in data.items() if v is not None}, format="multipart")


@pytest.fixture
def nothing_kept(media_root, django_capture_on_commit_callbacks):
    """After the request: no chunk or enrollment row, no file, no job waiting for a commit."""
    with django_capture_on_commit_callbacks() as callbacks:
        yield
    assert Chunk.objects.count() == 0
    assert Enrollment.objects.count() == 0
    assert stored_files(media_root) == []
    assert callbacks == []


def assert_names_the_field(response, status: int, field: str, says: str = "") -> None:
    assert response.status_code == status, (response.status_code, response.content[:500])
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error.get("fields", {}), error
    message = error["fields"][field][0]
    assert message
    assert says.lower() in message.lower(), message
    assert message in error["message"]


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
@pytest.mark.parametrize("case", BAD_AUDIO.values(), ids=BAD_AUDIO.keys())
def test_it_refuses_bad_audio_and_keeps_nothing(api, settings, endpoint, case, nothing_kept):
    for name, value in (case.limits or {}).items():
        setattr(settings, name, value)
    response = post(api, endpoint, case.file())
    if case.status == 413:
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["code"] == "upload_too_large"
        assert "the limit is 1 MB" in error["message"]
    else:
        assert_names_the_field(response, case.status, case.field, case.says)


@pytest.mark.parametrize("fields, field", BAD_CHUNK_FIELDS.values(), ids=BAD_CHUNK_FIELDS.keys())
def test_it_refuses_bad_chunk_metadata_and_keeps_nothing(api, fields, field, nothing_kept):
    response = post(api, CHUNKS, ("clip.wav", wav_bytes(1.0)), **fields)
    assert_names_the_field(response, 400, field)


@pytest.mark.parametrize("fields, field", BAD_ENROLLMENT_FIELDS.values(), ids=BAD_ENROLLMENT_FIELDS.keys())
def test_it_refuses_bad_enrollment_fields_and_keeps_nothing(api, fields, field, nothing_kept):
    response = post(api, ENROLLMENTS, ("me.wav", wav_bytes(1.0)), **fields)
    assert_names_the_field(response, 400, field)


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
@pytest.mark.parametrize("build, extension", ODD_AUDIO.values(), ids=ODD_AUDIO.keys())
def test_it_accepts_valid_but_unusual_audio(
    api, user, endpoint, build, extension, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(api, endpoint, build())
    assert response.status_code == 202, response.json()
    model = Chunk if endpoint == CHUNKS else Enrollment
    stored = model.objects.get(id=response.json()["id"])
    assert stored.user == user
    [path] = stored_files(media_root)
    assert path == media_root / stored.audio.name  # inside MEDIA_ROOT, whatever the client called it
    assert path.suffix == f".{extension}"  # named after what the decoder found
    assert ".." not in stored.audio.name and "passwd" not in stored.audio.name
    assert callbacks  # processing queued once the upload commits


def test_it_covers_every_kind_of_bad_input():
    """The matrix must keep a case of each kind the trust goal names (README quotes the counts:
    BAD_INPUT_REQUESTS refused, ODD_AUDIO_REQUESTS accepted)."""
    kinds = {
        "not audio": {"text", "png"},
        "empty": {"zero-bytes", "wav-header-without-samples"},
        "truncated": {"truncated-wav", "truncated-ogg-vorbis", "truncated-ogg-opus", "truncated-mp3"},
        "too big / too long": {"over-max-upload-mb", "over-max-seconds"},
    }
    for kind, ids in kinds.items():
        assert ids <= BAD_AUDIO.keys(), kind
    for prefix in ("start_ts-", "end_ts-", "gps_lat-", "gps_lon-", "device_id-"):
        assert sum(name.startswith(prefix) for name in BAD_CHUNK_FIELDS) >= 2, prefix
    odd = {"8-khz", "48-khz", "stereo", "silent", "clipped", "m4a-aac", "webm-opus-stereo", "wav-named-mp3"}
    assert odd <= ODD_AUDIO.keys()
    print(
        f"\nbad input: {len(BAD_AUDIO)} bad files × {len(ENDPOINTS)} endpoints + {len(BAD_CHUNK_FIELDS)} bad chunk "
        f"fields + {len(BAD_ENROLLMENT_FIELDS)} bad enrollment fields = {BAD_INPUT_REQUESTS} refused requests; "
        f"{len(ODD_AUDIO)} odd but valid files × {len(ENDPOINTS)} endpoints = {ODD_AUDIO_REQUESTS} accepted"
    )
