from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from chunks.models import Chunk
from chunks.tasks import process_chunk
from chunks.services import chunk_requeue_stale
from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory, EnrollmentFactory, LocationFactory, UtteranceFactory
from tests.faults_support.broker import patch_broker, redis_broker_down

URL = "/api/v1/chunks/"


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def upload(api, audio, **fields):
    data = {"audio": audio, "device_id": "phone-1", "start_ts": "2024-05-01T09:30:00Z", **fields}
    return api.post(URL, {k: v for k, v in data.items() if v is not None}, format="multipart")


@pytest.fixture
def nothing_stored(media_root):
    """Asserts after the test that no chunk row and no file were left behind."""
    yield
    assert Chunk.objects.count() == 0
    assert stored_files(media_root) == []


def test_it_accepts_a_chunk_and_queues_it(api, user, make_wav, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(api, make_wav(2.0), gps_lat="48.8566", gps_lon="2.3522")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    chunk = Chunk.objects.get(id=body["id"])
    assert chunk.user == user
    assert chunk.duration_ms == 2000
    assert chunk.codec == "pcm_s16le"
    assert chunk.end_ts == chunk.start_ts.replace(second=2)  # derived from the audio
    assert chunk.audio.name.startswith(f"chunks/{user.id}/2024/05/01/{chunk.audio_sha256}")
    assert chunk.audio.name.endswith(".wav")
    assert len(stored_files(media_root)) == 1
    assert len(callbacks) == 2  # process and geocode


def test_it_keeps_the_clients_end_ts(api, make_wav):
    response = upload(api, make_wav(1.0), end_ts="2024-05-01T11:30:05+02:00")
    assert response.status_code == 202
    assert response.json()["end_ts"] == "2024-05-01T09:30:05Z"


def test_it_returns_the_existing_chunk_for_the_same_device_and_start(api, make_wav, media_root):
    first = upload(api, make_wav(1.0))
    second = upload(api, make_wav(1.5))  # other bytes, same device and start time
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["id"] == first.json()["id"]
    assert Chunk.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_it_returns_the_existing_chunk_for_the_same_audio(api, media_root):
    audio = wav_bytes(1.0, seed=7)
    from django.core.files.uploadedfile import SimpleUploadedFile

    first = upload(api, SimpleUploadedFile("a.wav", audio))
    second = upload(api, SimpleUploadedFile("b.wav", audio), device_id="watch", start_ts="2024-05-02T10:00:00Z")
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["id"] == first.json()["id"]
    assert Chunk.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_it_lets_another_user_upload_the_same_audio(api, other_api):
    audio = wav_bytes(1.0, seed=8)
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert upload(api, SimpleUploadedFile("a.wav", audio)).status_code == 202
    assert upload(other_api, SimpleUploadedFile("a.wav", audio)).status_code == 202


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"this is not audio at all, just text" * 20, "not audio"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "not audio"),
    ],
)
def test_it_refuses_non_audio(api, content, reason, nothing_stored):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = upload(api, SimpleUploadedFile("clip.wav", content))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "audio" in error["fields"]


def test_it_refuses_an_empty_file(api, nothing_stored):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = upload(api, SimpleUploadedFile("clip.wav", b""))
    assert response.status_code == 400
    assert "audio" in response.json()["error"]["fields"]


def test_it_refuses_a_truncated_wav(api, nothing_stored):
    from django.core.files.uploadedfile import SimpleUploadedFile

    audio = wav_bytes(4.0)
    response = upload(api, SimpleUploadedFile("clip.wav", audio[: len(audio) // 3]))
    assert response.status_code == 400
    assert "truncated" in response.json()["error"]["fields"]["audio"][0]


def test_it_refuses_audio_longer_than_the_limit(api, settings, make_wav, nothing_stored):
    settings.MAX_CHUNK_SECONDS = 2
    response = upload(api, make_wav(3.0))
    assert response.status_code == 400
    assert "longer than the limit" in response.json()["error"]["fields"]["audio"][0]


def nan_in_the_middle_wav() -> bytes:
    samples = np.sin(np.arange(6 * 16_000) / 10).astype(np.float32) * 0.3
    samples[3 * 16_000 : 4 * 16_000] = np.nan
    buffer = io.BytesIO()
    sf.write(buffer, samples, 16_000, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "build, worker_limit_ms, says",
    [(nan_in_the_middle_wav, None, "non-finite"), (lambda: wav_bytes(6.0), 5000, "longer than the limit of 5 s")],
    ids=["damaged-middle", "longer-than-the-workers-limit"],
)
def test_the_worker_fails_a_chunk_whose_audio_the_upload_check_could_not_see_through(
    api, user, settings, fake_engine, build, worker_limit_ms, says
):
    """The upload decodes only both ends of the file; the worker's full decode finds the rest
    and fails the chunk with the reason — other chunks and the stored file untouched."""
    EnrollmentFactory(user=user)
    other = ChunkFactory(user=user)
    if worker_limit_ms:
        settings.SPEECH = replace(settings.SPEECH, max_duration_ms=worker_limit_ms)
    response = upload(api, SimpleUploadedFile("clip.wav", build()))
    assert response.status_code == 202, response.json()
    process_chunk(response.json()["id"])
    process_chunk(other.id)  # done already when the worker took both in one batch
    chunk = Chunk.objects.get(id=response.json()["id"])
    assert (chunk.status, chunk.attempts) == (Chunk.Status.FAILED, 1)  # permanent: no retry
    assert says in chunk.error and chunk.audio_retained
    other.refresh_from_db()
    assert other.status == Chunk.Status.DONE
    assert [name for name, _ in fake_engine.calls] == ["process_chunk"]  # only the other one's audio


def test_it_refuses_a_file_over_the_size_limit_with_413(api, settings, make_wav, nothing_stored):
    settings.MAX_UPLOAD_MB = 1
    response = upload(api, make_wav(40.0))  # 1.28 MB of 16-bit PCM
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"start_ts": "yesterday"}, "start_ts"),
        ({"start_ts": "2024-05-01T09:30:00"}, "start_ts"),  # no timezone
        ({"start_ts": "2024-13-01T09:30:00Z"}, "start_ts"),
        ({"start_ts": "9999-12-31T23:59:59Z"}, "start_ts"),  # would overflow with the duration
        ({"start_ts": "0001-01-01T00:00:00+01:00"}, "start_ts"),
        ({"end_ts": "2024-05-01T09:29:59Z"}, "end_ts"),  # before start
        ({"end_ts": "2024-05-01T09:31:00"}, "end_ts"),  # no timezone
        ({"gps_lat": "91", "gps_lon": "2"}, "gps_lat"),
        ({"gps_lat": "48", "gps_lon": "-180.5"}, "gps_lon"),
        ({"gps_lat": "nan", "gps_lon": "2"}, "gps_lat"),
        ({"gps_lat": "48.1"}, "gps_lon"),  # one without the other
        ({"device_id": ""}, "device_id"),
        ({"device_id": "a" * 65}, "device_id"),
        ({"device_id": "phone 1"}, "device_id"),
        ({"device_id": "../../etc"}, "device_id"),
        ({"device_id": "téléphone"}, "device_id"),
    ],
)
def test_it_refuses_malformed_metadata(api, make_wav, fields, field, nothing_stored):
    response = upload(api, make_wav(1.0), **fields)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field][0]


@pytest.mark.parametrize("missing", ["audio", "device_id", "start_ts"])
def test_it_names_each_missing_field(api, make_wav, missing, nothing_stored):
    data = {"audio": make_wav(1.0), "device_id": "phone-1", "start_ts": "2024-05-01T09:30:00Z"}
    del data[missing]
    response = api.post(URL, data, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][missing][0] in ("This field is required.", "No file was submitted.")


@pytest.mark.parametrize(
    "options, codec, extension",
    [
        ({"fmt": "FLAC", "sample_rate": 48_000, "channels": 2}, "flac", "flac"),
        ({"fmt": "OGG", "subtype": "OPUS", "sample_rate": 48_000}, "opus", "ogg"),
        ({"fmt": "OGG", "subtype": "VORBIS", "sample_rate": 44_100}, "vorbis", "ogg"),
        ({"fmt": "MP3", "subtype": "MPEG_LAYER_III", "sample_rate": 44_100, "channels": 2}, "mp3", "mp3"),
        ({"sample_rate": 8_000}, "pcm_s16le", "wav"),
    ],
)
def test_it_accepts_common_formats(api, make_wav, options, codec, extension):
    response = upload(api, make_wav(1.0, name="upload.bin", **options))
    assert response.status_code == 202, response.json()
    chunk = Chunk.objects.get(id=response.json()["id"])
    assert chunk.codec.startswith(codec)
    assert chunk.audio.name.endswith(f".{extension}")  # named after the content, not the client
    assert abs(chunk.duration_ms - 1000) < 100


def test_it_requires_authentication(db, client, make_wav):
    response = client.post(URL, {"audio": make_wav(1.0), "device_id": "x", "start_ts": "2024-05-01T09:30:00Z"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert Chunk.objects.count() == 0


def test_it_shows_a_chunk_with_its_place(api, user):
    chunk = ChunkFactory(
        user=user, status=Chunk.Status.DONE, segments_count=2, location=LocationFactory(), timings={"asr": 0.5}
    )
    response = api.get(reverse("chunks:detail", kwargs={"chunk_id": chunk.id}))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done"
    assert body["segments_count"] == 2
    assert body["timings"] == {"asr": 0.5}
    assert body["address"] == "Paris, France"
    assert body["duration_ms"] == 1000


def test_it_shows_waiting_with_a_readable_label(api, user):
    chunk = ChunkFactory(user=user, status=Chunk.Status.WAITING)
    body = api.get(chunk.get_absolute_url()).json()
    assert body["status"] == "waiting"
    assert body["status_display"] == "Waiting for a voice enrollment"
    assert body["address"] is None


def test_it_hides_other_users_chunks(api, other_user):
    chunk = ChunkFactory(user=other_user)
    response = api.get(chunk.get_absolute_url())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api.get(URL).json()["results"] == []


def test_it_lists_own_chunks_newest_first_with_a_cursor(api, user, other_user):
    chunks = [ChunkFactory(user=user) for _ in range(5)]
    ChunkFactory(user=other_user)
    first = api.get(URL, {"page_size": 2}).json()
    assert [c["id"] for c in first["results"]] == [chunks[4].id, chunks[3].id]
    second = api.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == [chunks[2].id, chunks[1].id]


def test_it_filters_chunks_by_status(api, user):
    ChunkFactory(user=user)
    failed = ChunkFactory(user=user, status=Chunk.Status.FAILED, error="the file is truncated")
    body = api.get(URL, {"status": "failed"}).json()
    assert [c["id"] for c in body["results"]] == [failed.id]
    assert body["results"][0]["error"] == "the file is truncated"
    assert api.get(URL, {"status": "bogus"}).status_code == 400


def test_it_deletes_a_chunk_with_its_segments_and_audio(api, user, media_root):
    segment = UtteranceFactory(chunk__user=user)

    response = api.delete(f"{URL}{segment.chunk_id}/")

    assert response.status_code == 204
    assert api.get(f"{URL}{segment.chunk_id}/").status_code == 404
    assert api.get("/api/v1/utterances/").json()["results"] == []
    assert stored_files(media_root) == []


def test_it_does_not_delete_another_users_chunk(api, other_user, media_root):
    theirs = ChunkFactory(user=other_user)

    assert api.delete(f"{URL}{theirs.id}/").status_code == 404

    assert Chunk.objects.filter(id=theirs.id).exists()
    assert len(stored_files(media_root)) == 1


# --- a broker outage during an upload (issue 11): accepted, kept, enqueued by the sweep -------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # enqueued after a real commit
def test_it_keeps_a_chunk_uploaded_while_the_broker_is_down(
    api, user, make_wav, media_root, fake_engine, settings, monkeypatch
):
    EnrollmentFactory(user=user)
    with monkeypatch.context() as m:
        redis_broker_down(m)  # django-q2's Redis broker, nothing listening
        response = upload(api, make_wav(1.0))
        assert response.status_code == 202, response.content  # accepted: the work is safe
        chunk = Chunk.objects.get(id=response.json()["id"])
        assert (chunk.status, chunk.enqueued_at) == (Chunk.Status.QUEUED, None)
        assert (media_root / chunk.audio.name).is_file()  # the audio stays
        assert upload(api, make_wav(1.0)).status_code == 200  # the client's retry: already uploaded

    with monkeypatch.context() as m:  # the broker is back
        broker = patch_broker(m)
        assert chunk_requeue_stale(now=timezone.now() + timedelta(seconds=settings.JOB_ENQUEUE_GRACE_S + 1)) == 1
        assert broker.run_all() == ["done"]
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.segments_count) == (Chunk.Status.DONE, 1, 2)
    assert len(fake_engine.calls) == 1
