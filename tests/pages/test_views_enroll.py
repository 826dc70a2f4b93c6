"""/enroll/: a passage to read, the upload form, the job's status in plain words, reprocessing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chunks.models import Chunk
from enrollment.models import Enrollment
from pages.forms import ENROLLMENT_PHRASES
from pages.templatetags.enrollment_status import enrollment_outcome
from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory, EnrollmentFactory

URL = "/enroll/"


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def upload(seconds=3.0, name="me.wav", **fields):
    return {"audio": SimpleUploadedFile(name, wav_bytes(seconds), content_type="audio/wav"), **fields}


@pytest.mark.parametrize("url", [URL, URL + "1/", URL + "1/status/"])
def test_it_needs_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"


def test_it_shows_a_passage_to_read_and_the_upload_form(owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert response.context["phrase"] in ENROLLMENT_PHRASES
    assert f'<input type="hidden" name="phrase" value="{response.context["phrase_index"]}">' in content
    assert '<form id="enroll-form" class="panel stack" method="post" enctype="multipart/form-data"' in content
    assert 'type="file" name="audio"' in content and 'name="csrfmiddlewaretoken"' in content
    assert '<section id="recorder" class="panel recorder" aria-labelledby="record-title" hidden>' in content
    assert 'src="/static/js/enroll.js"' in content


def test_the_passage_changes_between_visits(owner_client):
    seen = {owner_client.get(URL).context["phrase_index"] for _ in range(30)}
    assert len(seen) > 1


def test_it_stores_an_upload_with_its_passage_and_shows_the_status(owner_client, user):
    response = owner_client.post(URL, upload(phrase="2", read_phrase="on"))
    enrollment = Enrollment.objects.get(user=user)
    assert (response.status_code, response["Location"]) == (302, f"/enroll/{enrollment.id}/")
    assert enrollment.phrase_text == ENROLLMENT_PHRASES[2]
    assert enrollment.status == Enrollment.Status.PENDING
    page = owner_client.get(response["Location"]).content.decode()
    assert "Checking your recording…" in page
    assert 'data-active="true"' in page and f'data-refresh-url="/enroll/{enrollment.id}/status/"' in page
    assert 'aria-live="polite"' in page


def test_without_the_box_ticked_the_words_are_not_compared(owner_client, user):
    owner_client.post(URL, upload(phrase="2"))
    assert Enrollment.objects.get(user=user).phrase_text == ""


def test_it_refuses_what_is_not_audio_in_plain_words(owner_client, user):
    response = owner_client.post(URL, {"audio": SimpleUploadedFile("x.wav", b"nonsense" * 100), "phrase": "1"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "This recording cannot be used: the file is not audio in a format we can read." in content
    assert 'aria-invalid="true"' in content
    assert response.context["phrase_index"] == 1  # the same passage as before
    assert not Enrollment.objects.filter(user=user).exists()


def test_it_refuses_a_file_too_big(owner_client, user, settings):
    settings.MAX_UPLOAD_MB = 0
    content = owner_client.post(URL, upload()).content.decode()
    assert "The file is too big" in content


def test_it_asks_for_a_file(owner_client):
    response = owner_client.post(URL, {"phrase": "0"})
    assert response.status_code == 200 and response.context["form"].errors["audio"]


def test_uploading_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(URL, upload()).status_code == 403
    assert not Enrollment.objects.filter(user=user).exists()


def test_nobody_else_sees_an_enrollment(client, other_user, user):
    enrollment = EnrollmentFactory(user=user)
    client.force_login(other_user)
    assert client.get(f"{URL}{enrollment.id}/").status_code == 404
    assert client.get(f"{URL}{enrollment.id}/status/").status_code == 404


def test_the_status_fragment_stops_polling_once_accepted(owner_client, user):
    enrollment = EnrollmentFactory(
        user=user, phrase_text="the birch canoe", transcript="the birch canoe", edit_distance=0
    )
    response = owner_client.get(f"{URL}{enrollment.id}/status/")
    content = response.content.decode()
    assert "<html" not in content
    assert 'data-active="false"' in content
    assert "Accepted: your voice is enrolled." in content
    assert "yes, new recordings are compared with it" in content
    assert "differ from the passage" not in content


def test_it_shows_transcript_and_passage_when_they_differ(owner_client, user):
    enrollment = EnrollmentFactory(
        user=user, phrase_text="the birch canoe slid on the smooth planks", transcript="hello world", edit_distance=8
    )
    content = owner_client.get(f"{URL}{enrollment.id}/").content.decode()
    assert "The words we heard differ from the passage" in content
    assert "<dd>the birch canoe slid on the smooth planks</dd>" in content and "<dd>hello world</dd>" in content


@pytest.mark.parametrize(
    "error, code, headline",
    [
        ("too little speech: 3.1 s heard, at least 5 s are needed", "too_short", "Too short"),
        ("the audio is too short (40 ms)", "too_short", "Too short"),
        ("the recording is too quiet (-70 dBFS); speak closer to the microphone", "too_quiet", "Too quiet"),
        (
            "more than one voice: 30% of the speech sounds like somebody else; record again alone",
            "several_voices",
            "More than one voice",
        ),
        (
            "the voice is not consistent enough to learn (consistency 0.31); record again in a quiet place",
            "inconsistent_voice",
            "could not be learned",
        ),
        ("the recording is too long (150 s); enroll with at most 120 s", "too_long", "Too long"),
        ("the file is not audio in a format we can read", "unreadable_audio", "could not be read as audio"),
        ("the audio file is missing from storage", "audio_missing", "lost on the server"),
        ("gave up after 3 attempts: ModelError: cannot load", "gave_up", "could not process"),
        ("processing did not finish after 3 attempts", "gave_up", "could not process"),
        ("something new", "", "Not accepted."),
    ],
)
def test_it_says_why_an_enrollment_was_rejected(owner_client, user, error, code, headline):
    enrollment = EnrollmentFactory(
        user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error=error, error_code=code
    )
    outcome = enrollment_outcome(enrollment)
    assert outcome.kind == "rejected" and headline in outcome.headline and outcome.advice
    content = owner_client.get(f"{URL}{enrollment.id}/status/").content.decode()
    assert headline in content
    assert 'href="/enroll/">Record again</a>' in content
    assert 'data-active="false"' in content


def test_it_says_a_silent_recording_is_silent(owner_client, user):
    reason = "the recording is silent: no sound at all was recorded; check that the microphone is on and not muted"
    enrollment = EnrollmentFactory(
        user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error=reason, error_code="too_quiet"
    )
    content = owner_client.get(f"{URL}{enrollment.id}/").content.decode()
    assert "What the server found: the recording is silent" in content
    assert "check that the microphone is on and not muted" in content and "dBFS" not in content


def test_it_says_when_a_retry_is_under_way(user):
    enrollment = EnrollmentFactory(
        user=user, status=Enrollment.Status.PENDING, voiceprint=None, error="attempt 1 failed: x"
    )
    assert enrollment_outcome(enrollment).advice == "A first try did not finish; trying again."


def test_it_offers_to_reprocess_recordings_with_audio(owner_client, user, other_user):
    enrollment = EnrollmentFactory(user=user)
    ChunkFactory(user=user, status=Chunk.Status.DONE)
    ChunkFactory(user=user, status=Chunk.Status.DONE)
    ChunkFactory(user=user, status=Chunk.Status.DONE, audio="")
    ChunkFactory(user=other_user, status=Chunk.Status.DONE)
    content = owner_client.get(f"{URL}{enrollment.id}/").content.decode()
    assert "Reprocess 2 recordings" in content
    assert '<form class="reprocess" method="post" action="/enroll/reprocess/">' in content


def test_it_reprocesses_the_owners_recordings_and_says_how_many(owner_client, user, other_user):
    EnrollmentFactory(user=user)
    mine = [ChunkFactory(user=user, status=Chunk.Status.DONE) for _ in range(2)]
    without_audio = ChunkFactory(user=user, status=Chunk.Status.DONE, audio="")
    theirs = ChunkFactory(user=other_user, status=Chunk.Status.DONE)
    response = owner_client.post(URL + "reprocess/", follow=True)
    assert response.redirect_chain == [("/timeline/", 302)]
    assert "2 recordings queued to be processed again" in response.content.decode()
    assert {c.status for c in Chunk.objects.filter(id__in=[c.id for c in mine])} == {Chunk.Status.QUEUED}
    assert Chunk.objects.get(id=without_audio.id).status == Chunk.Status.DONE
    assert Chunk.objects.get(id=theirs.id).status == Chunk.Status.DONE


def test_reprocessing_with_nothing_to_do_says_so(owner_client):
    response = owner_client.post(URL + "reprocess/", follow=True)
    assert "No recordings were queued" in response.content.decode()


def test_reprocessing_needs_a_csrf_post(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    ChunkFactory(user=user, status=Chunk.Status.DONE)
    assert client.get(URL + "reprocess/").status_code == 405
    assert client.post(URL + "reprocess/").status_code == 403
    assert Chunk.objects.get(user=user).status == Chunk.Status.DONE


def test_it_enrolls_the_device_the_owner_will_wear(owner_client, user):
    ChunkFactory(user=user, device_id="pendant-1")
    page = owner_client.get(URL).content.decode()
    assert 'list="known-devices"' in page and '<option value="pendant-1">' in page
    audio = SimpleUploadedFile("me.wav", wav_bytes(2.0), content_type="audio/wav")
    response = owner_client.post(URL, {"audio": audio, "phrase": 0, "read_phrase": "on", "device_id": "pendant-1"})
    enrollment = Enrollment.objects.get(user=user)
    assert response.status_code == 302 and enrollment.device_id == "pendant-1"


def test_it_says_the_earlier_voiceprint_is_still_in_use_after_a_rejection(owner_client, user):
    earlier = EnrollmentFactory(user=user)
    rejected = EnrollmentFactory(
        user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error="too little speech", error_code="too_short"
    )
    for url in (f"{URL}{rejected.id}/", f"{URL}{rejected.id}/status/"):
        content = owner_client.get(url).content.decode()
        assert "Your earlier voiceprint is still in use" in content, url
        assert f'datetime="{earlier.created_at.isoformat()}"' in content and "as before this attempt" in content
    page = owner_client.get(URL).content.decode()
    assert "Your latest enrollment:" in page and "Your earlier voiceprint is still in use" in page
    assert "Your earlier voiceprint is still in use" not in owner_client.get(f"{URL}{earlier.id}/").content.decode()


def test_it_says_no_voiceprint_is_in_use_after_a_first_rejection(owner_client, user):
    rejected = EnrollmentFactory(
        user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error="too little speech", error_code="too_short"
    )
    content = owner_client.get(f"{URL}{rejected.id}/").content.decode()
    assert "No voiceprint is in use yet" in content and "still in use" not in content


def test_it_says_which_voiceprint_is_used_while_a_new_one_is_checked(owner_client, user):
    EnrollmentFactory(user=user)
    pending = EnrollmentFactory(user=user, status=Enrollment.Status.PENDING, voiceprint=None)
    content = owner_client.get(f"{URL}{pending.id}/status/").content.decode()
    assert "Your earlier voiceprint is still in use" in content and "until this one is accepted" in content


def test_it_neither_offers_nor_queues_recordings_already_on_their_way(owner_client, user):
    enrollment = EnrollmentFactory(user=user)
    done = ChunkFactory(user=user, status=Chunk.Status.DONE)
    waiting = ChunkFactory(user=user, status=Chunk.Status.QUEUED, attempts=2)
    ChunkFactory(user=user, status=Chunk.Status.PROCESSING)
    content = owner_client.get(f"{URL}{enrollment.id}/").content.decode()
    assert "Reprocess 1 recording<" in content
    response = owner_client.post(URL + "reprocess/", follow=True)
    assert "1 recording queued to be processed again" in response.content.decode()
    assert Chunk.objects.get(id=done.id).status == Chunk.Status.QUEUED
    assert Chunk.objects.get(id=waiting.id).attempts == 2  # left alone: it was queued already
