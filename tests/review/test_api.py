"""'Was this you?' through the API (review/api.py): list, listen, answer, and 'not me' on an utterance."""

from __future__ import annotations

import pytest

from chunks.models import Chunk
from chunks.processing import chunk_process
from enrollment.models import DecisionReview, VoiceSample
from selective_speaker.speech.types import Span
from tests.admin_pages import queued_jobs
from tests.factories import ChunkFactory, DecisionReviewFactory, EnrollmentFactory, UtteranceFactory
from utterances.models import Utterance

URL = "/api/v1/voice-checks/"


@pytest.fixture
def check(user):
    EnrollmentFactory(user=user)
    return DecisionReviewFactory(chunk__user=user, chunk__device_id="pendant-1", start_ms=200, end_ms=900)


def answer(api, check, value):
    return api.post(f"{URL}{check.id}/answer/", {"answer": value}, format="json")


def test_it_lists_the_owners_unanswered_checks_whose_audio_is_kept(api, user, other_user, check):
    DecisionReviewFactory(chunk__user=user, verdict=DecisionReview.Verdict.OWNER)  # answered
    DecisionReviewFactory(chunk__user=user, chunk__audio="")  # cannot be played
    DecisionReviewFactory(chunk__user=other_user)
    body = api.get(URL).json()
    assert [c["id"] for c in body["results"]] == [check.id]
    shown = body["results"][0]
    assert shown["device_id"] == "pendant-1" and shown["duration_ms"] == 700 and shown["answer"] is None
    assert shown["audio_url"].endswith(f"{URL}{check.id}/audio.wav")
    assert "text" not in shown  # nothing of it was transcribed


def test_it_plays_the_stretch_to_its_owner_only(api, other_api, check):
    response = api.get(f"{URL}{check.id}/audio.wav")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    audio = b"".join(response.streaming_content) if response.streaming else response.content
    assert audio[:4] == b"RIFF" and len(audio) == 44 + 700 * 32  # 0.7 s of 16-bit 16 kHz mono
    assert other_api.get(f"{URL}{check.id}/audio.wav").status_code == 404
    assert answer(other_api, check, "me").status_code == 404


def test_it_learns_from_me_and_transcribes_that_stretch_on_reprocess(
    api, user, check, fake_engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(api, check, "me")
    assert response.status_code == 200
    assert response.json() == {"answer": "me", "voice_learned": True, "chunk_queued": True}
    check.refresh_from_db()
    assert (check.verdict, check.reviewed_by) == (DecisionReview.Verdict.OWNER, user)
    sample = VoiceSample.objects.get(review=check)
    assert (sample.kind, sample.device_id) == (VoiceSample.Kind.OWNER, "pendant-1")
    assert queued_jobs() == [("chunks.tasks.process_chunk", (check.chunk_id,))]

    chunk_process(chunk_id=check.chunk_id)
    (_, call), = fake_engine.calls
    assert call["answers"] == ([Span(200, 900)], [])  # the owner's word decides that speech


def test_it_keeps_not_me_as_a_negative_and_lets_the_owner_change_their_answer(api, check):
    assert answer(api, check, "not_me").json()["answer"] == "not_me"
    assert VoiceSample.objects.get(review=check).kind == VoiceSample.Kind.OTHER
    assert answer(api, check, "me").status_code == 200  # answered again: turned round
    check.refresh_from_db()
    assert check.verdict == DecisionReview.Verdict.OWNER
    assert VoiceSample.objects.get(review=check).kind == VoiceSample.Kind.OWNER


def test_it_ignores_staff_verdicts_when_deciding_words(user, check, fake_engine, admin_user):
    DecisionReview.objects.filter(id=check.id).update(verdict=DecisionReview.Verdict.OWNER, reviewed_by=admin_user)
    Chunk.objects.filter(id=check.chunk_id).update(status=Chunk.Status.QUEUED)
    chunk_process(chunk_id=check.chunk_id)
    (_, call), = fake_engine.calls
    assert "answers" not in call or call["answers"] == ((), ())


@pytest.mark.parametrize("body", [{}, {"answer": "maybe"}, {"answer": ["me"]}])
def test_it_refuses_an_answer_that_is_not_me_or_not_me(api, check, body):
    response = api.post(f"{URL}{check.id}/answer/", body, format="json")
    assert response.status_code == 400 and "answer" in response.json()["error"]["fields"]
    check.refresh_from_db()
    assert check.verdict == DecisionReview.Verdict.PENDING


def test_it_deletes_an_utterance_that_was_not_me_and_keeps_the_voice_as_a_negative(api, other_api, user, fake_engine):
    chunk = ChunkFactory(user=user, device_id="phone", status=Chunk.Status.DONE, segments_count=1)
    utterance = UtteranceFactory(chunk=chunk, start_ms=100, end_ms=800)
    assert other_api.post(f"/api/v1/utterances/{utterance.id}/not-me/").status_code == 404
    response = api.post(f"/api/v1/utterances/{utterance.id}/not-me/")
    assert response.status_code == 200 and response.json() == {"deleted": True, "voice_learned": True}
    assert not Utterance.objects.filter(id=utterance.id).exists()
    chunk.refresh_from_db()
    assert chunk.suppressed_spans == [[100, 800]] and chunk.segments_count == 0
    sample = VoiceSample.objects.get(user=user)
    assert (sample.kind, sample.device_id, sample.duration_ms) == (VoiceSample.Kind.OTHER, "phone", 700)
