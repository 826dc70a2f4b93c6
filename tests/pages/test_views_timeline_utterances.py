"""/timeline/: an utterance's audio (ranges, owner only, while kept) and deleting utterances
or whole recordings from the page."""

from __future__ import annotations

import io
import wave
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chunks.models import Chunk
from tests.audio_samples import wav_bytes
from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.models import Utterance


def audio_url(segment) -> str:
    return f"/timeline/segments/{segment.id}/audio.wav"


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def segment(user):
    """1.5 s of a 3 s recording, from 0.5 s."""
    chunk = ChunkFactory(
        user=user,
        start_ts=T0 + timedelta(minutes=5),
        audio=SimpleUploadedFile("c.wav", wav_bytes(3.0, seed=3)),
        duration_ms=3000,
        status=Chunk.Status.DONE,
    )
    return UtteranceFactory(chunk=chunk, start_ms=500, end_ms=2000, text="the words I said")


def frames(data: bytes) -> int:
    with wave.open(io.BytesIO(data), "rb") as clip:
        assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (1, 2, 16_000)
        return clip.getnframes()


# --- audio -----------------------------------------------------------------------------------


def test_it_serves_the_utterances_stretch_of_the_recording(owner_client, segment):
    response = owner_client.get(audio_url(segment))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="utterance-{segment.id}.wav"'
    assert frames(response.content) == 24_000  # 1.5 s at 16 kHz


def test_it_answers_range_requests(owner_client, segment):
    whole = owner_client.get(audio_url(segment)).content
    first = owner_client.get(audio_url(segment), HTTP_RANGE="bytes=0-43")
    assert first.status_code == 206
    assert first.content == whole[:44]
    assert first["Content-Range"] == f"bytes 0-43/{len(whole)}"
    tail = owner_client.get(audio_url(segment), HTTP_RANGE="bytes=-100")
    assert (tail.status_code, tail.content) == (206, whole[-100:])
    rest = owner_client.get(audio_url(segment), HTTP_RANGE="bytes=1000-")
    assert (rest.status_code, rest.content) == (206, whole[1000:])
    beyond = owner_client.get(audio_url(segment), HTTP_RANGE=f"bytes={len(whole)}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(whole)}"


def test_it_answers_head(owner_client, segment):
    response = owner_client.head(audio_url(segment))
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"


def test_audio_needs_a_login(client, segment):
    response = client.get(audio_url(segment))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_nobody_else_hears_it(segment, other_user):
    client = Client()
    client.force_login(other_user)
    assert client.get(audio_url(segment)).status_code == 404
    assert client.get(audio_url(segment), HTTP_RANGE="bytes=0-10").status_code == 404
    assert client.get("/timeline/segments/999999/audio.wav").status_code == 404


def test_once_the_recording_is_deleted_it_says_so_and_the_bubble_has_no_player(owner_client, segment):
    page = owner_client.get("/timeline/", {"day": "2024-05-01"}).content.decode()
    assert f'<a class="play" href="{audio_url(segment)}" data-play' in page  # one compact play button
    assert "<audio" not in page  # no player element per bubble: static/js/conversation.js shares one
    segment.chunk.audio.delete(save=False)
    Chunk.objects.filter(id=segment.chunk_id).update(audio="")
    response = owner_client.get(audio_url(segment))
    assert response.status_code == 410
    assert "no longer kept" in response.content.decode()
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    page = owner_client.get("/timeline/", {"day": "2024-05-01"}).content.decode()
    assert 'class="play"' not in page
    assert "the words I said" in page


def test_a_file_missing_from_storage_is_gone_too(owner_client, segment):
    segment.chunk.audio.storage.delete(segment.chunk.audio.name)
    assert owner_client.get(audio_url(segment)).status_code == 410


def test_a_storage_outage_is_503(owner_client, segment, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("the disk went away")

    monkeypatch.setattr("selective_speaker.http_range.wav_clip", fail)
    assert owner_client.get(audio_url(segment)).status_code == 503


def test_audio_refuses_writes(owner_client, segment):
    assert owner_client.post(audio_url(segment)).status_code == 405


# --- deleting an utterance -------------------------------------------------------------------


def delete_url(segment) -> str:
    return f"/timeline/segments/{segment.id}/delete/"


def test_it_deletes_an_utterance_and_goes_back(owner_client, segment):
    back = "/timeline/?day=2024-05-01"
    response = owner_client.post(delete_url(segment), {"next": back})
    assert (response.status_code, response["Location"]) == (302, back)
    assert not Utterance.objects.filter(id=segment.id).exists()
    assert Chunk.objects.get(id=segment.chunk_id).suppressed_spans == [[500, 2000]]
    page = owner_client.get(back).content.decode()
    assert "Deleted “the words I said”." in page
    assert "the words I said</p>" not in page


def test_it_answers_json_to_the_page_script(owner_client, segment):
    response = owner_client.post(delete_url(segment), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == {"deleted": {"segments": [segment.id]}, "message": "Deleted “the words I said”."}


def test_it_never_goes_back_to_another_site(owner_client, segment):
    response = owner_client.post(delete_url(segment), {"next": "https://evil.example/"})
    assert response["Location"] == "/timeline/"


def test_deleting_needs_a_post_with_csrf(user, segment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(delete_url(segment)).status_code == 405
    assert client.post(delete_url(segment)).status_code == 403
    assert Utterance.objects.filter(id=segment.id).exists()
    page = client.get("/timeline/", {"day": "2024-05-01"})
    token = page.context["csrf_token"]
    assert client.post(delete_url(segment), {"csrfmiddlewaretoken": str(token)}).status_code == 302
    assert not Utterance.objects.filter(id=segment.id).exists()


def test_nobody_else_deletes_it(segment, other_user, client):
    assert client.post(delete_url(segment)).status_code == 302  # to the login page
    client.force_login(other_user)
    assert client.post(delete_url(segment)).status_code == 404
    assert Utterance.objects.filter(id=segment.id).exists()


def test_every_bubble_has_its_delete_form(owner_client, segment):
    page = owner_client.get("/timeline/", {"day": "2024-05-01"}).content.decode()
    assert f'<form class="bubble-delete" method="post" action="{delete_url(segment)}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'<input type="hidden" name="next" value="/timeline/?day=2024-05-01">' in page
    assert f'href="/timeline/chunks/{segment.chunk_id}/delete/?next=/timeline/%3Fday%3D2024-05-01"' in page


# --- deleting a whole recording --------------------------------------------------------------


def chunk_delete_url(chunk) -> str:
    return f"/timeline/chunks/{chunk.id}/delete/"


def test_it_asks_before_deleting_a_recording(owner_client, segment):
    UtteranceFactory(chunk=segment.chunk, start_ms=2000, end_ms=2900)
    Chunk.objects.filter(id=segment.chunk_id).update(segments_count=2)
    response = owner_client.get(chunk_delete_url(segment.chunk), {"next": "/timeline/?day=2024-05-01"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Delete this recording?" in content
    assert "the 2 utterances taken from it" in content
    assert f'<form method="post" action="{chunk_delete_url(segment.chunk)}"' in content
    assert Chunk.objects.filter(id=segment.chunk_id).exists()


def test_it_deletes_a_recording_with_its_utterances_and_audio(owner_client, segment):
    other = UtteranceFactory(chunk=segment.chunk, start_ms=2000, end_ms=2900)
    kept = UtteranceFactory(chunk=ChunkFactory(user=segment.user, start_ts=T0 + timedelta(hours=1)))
    storage, name = segment.chunk.audio.storage, segment.chunk.audio.name
    Chunk.objects.filter(id=segment.chunk_id).update(segments_count=2)
    response = owner_client.post(chunk_delete_url(segment.chunk), {"next": "/timeline/?day=2024-05-01"})
    assert (response.status_code, response["Location"]) == (302, "/timeline/?day=2024-05-01")
    assert not Chunk.objects.filter(id=segment.chunk_id).exists()
    assert not Utterance.objects.filter(id__in=[segment.id, other.id]).exists()
    assert Utterance.objects.filter(id=kept.id).exists()
    assert not storage.exists(name)
    page = owner_client.get("/timeline/?day=2024-05-01").content.decode()
    assert "Deleted the recording from phone-1 at 09:05 on 1 May 2024 and its 2 utterances." in page


def test_recording_delete_answers_json(owner_client, segment):
    response = owner_client.post(chunk_delete_url(segment.chunk), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["deleted"] == {"chunk": segment.chunk_id}


def test_recording_delete_reports_a_storage_outage(owner_client, segment, monkeypatch):
    from selective_speaker.audio_files import StorageUnavailable

    def fail(*, chunk):
        raise StorageUnavailable("down")

    monkeypatch.setattr("pages.views_timeline.chunk_delete", fail)
    response = owner_client.post(chunk_delete_url(segment.chunk), HTTP_ACCEPT="application/json")
    assert response.status_code == 503 and "Try again" in response.json()["error"]
    response = owner_client.post(chunk_delete_url(segment.chunk), follow=True)
    assert "could not be deleted right now" in response.content.decode()
    assert Chunk.objects.filter(id=segment.chunk_id).exists()


def test_nobody_else_deletes_a_recording(segment, other_user, client):
    client.force_login(other_user)
    assert client.get(chunk_delete_url(segment.chunk)).status_code == 404
    assert client.post(chunk_delete_url(segment.chunk)).status_code == 404
    assert Chunk.objects.filter(id=segment.chunk_id).exists()


def test_recording_delete_needs_csrf(user, segment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(chunk_delete_url(segment.chunk)).status_code == 403
    assert Chunk.objects.filter(id=segment.chunk_id).exists()


def test_failed_recordings_in_the_panel_can_be_deleted(owner_client, user):
    failed = ChunkFactory(user=user, status=Chunk.Status.FAILED, error="not audio")
    queued = ChunkFactory(user=user, status=Chunk.Status.QUEUED)
    content = owner_client.get("/timeline/processing/").content.decode()
    assert f'href="{chunk_delete_url(failed)}"' in content
    assert f'href="{chunk_delete_url(queued)}"' not in content
    assert f'data-chunk-id="{queued.id}" data-pending="true"' in content
    assert f'data-chunk-id="{failed.id}" data-pending="false"' in content
