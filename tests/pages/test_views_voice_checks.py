"""'Was this you?' on the timeline (pages/views_voice_checks.py): cards of the day, listening,
answering, and 'not me' on a kept utterance."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chunks.models import Chunk
from enrollment.models import DecisionReview, VoiceSample
from tests.factories import T0, ChunkFactory, DecisionReviewFactory, EnrollmentFactory, UtteranceFactory
from utterances.models import Utterance

DAY = f"/timeline/?day={T0:%Y-%m-%d}"


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def check(user):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user, start_ts=T0 + timedelta(minutes=5), status=Chunk.Status.DONE, device_id="pendant-1")
    return DecisionReviewFactory(chunk=chunk, start_ms=200, end_ms=900)


def test_it_asks_about_the_days_uncertain_stretches_without_any_text(owner_client, user, other_user, check):
    DecisionReviewFactory(chunk__user=other_user, chunk__start_ts=T0)
    DecisionReviewFactory(chunk__user=user, chunk__start_ts=T0 - timedelta(days=3))  # another day
    response = owner_client.get(DAY)
    assert [c.id for c in response.context["voice_checks"]] == [check.id]
    page = response.content.decode()
    assert "Was this you?" in page and "pendant-1" in page
    assert f'src="/timeline/voice-checks/{check.id}/audio.wav"' in page
    assert f'action="/timeline/voice-checks/{check.id}/answer/"' in page
    assert 'name="answer" value="me"' in page and 'name="answer" value="not_me"' in page


def test_it_shows_no_questions_once_answered(owner_client, check):
    DecisionReview.objects.filter(id=check.id).update(verdict=DecisionReview.Verdict.NOT_OWNER)
    assert "Was this you?" not in owner_client.get(DAY).content.decode()


def test_it_plays_the_stretch_to_its_owner_only(owner_client, client, other_user, check):
    response = owner_client.get(f"/timeline/voice-checks/{check.id}/audio.wav")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    client.force_login(other_user)
    assert client.get(f"/timeline/voice-checks/{check.id}/audio.wav").status_code == 404


def test_it_records_me_learns_the_voice_and_goes_back(owner_client, user, check, fake_engine):
    response = owner_client.post(f"/timeline/voice-checks/{check.id}/answer/", {"answer": "me", "next": DAY})
    assert response.status_code == 302 and response["Location"] == DAY
    check.refresh_from_db()
    assert (check.verdict, check.reviewed_by) == (DecisionReview.Verdict.OWNER, user)
    assert VoiceSample.objects.get(review=check).device_id == "pendant-1"
    assert Chunk.objects.get(id=check.chunk_id).status == Chunk.Status.QUEUED


def test_it_answers_in_place_for_the_script(owner_client, check, fake_engine):
    response = owner_client.post(
        f"/timeline/voice-checks/{check.id}/answer/", {"answer": "not_me"}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["answered"] == {"id": check.id, "answer": "not_me"}
    assert VoiceSample.objects.get(review=check).kind == VoiceSample.Kind.OTHER


def test_it_refuses_other_answers_and_other_peoples_questions(owner_client, client, other_user, check):
    assert owner_client.post(f"/timeline/voice-checks/{check.id}/answer/", {"answer": "maybe"}).status_code == 302
    maybe = owner_client.post(f"/timeline/voice-checks/{check.id}/answer/", {}, HTTP_ACCEPT="application/json")
    assert maybe.status_code == 400
    client.force_login(other_user)
    assert client.post(f"/timeline/voice-checks/{check.id}/answer/", {"answer": "me"}).status_code == 404
    check.refresh_from_db()
    assert check.verdict == DecisionReview.Verdict.PENDING


def test_it_removes_an_utterance_that_was_not_me(owner_client, user, fake_engine):
    chunk = ChunkFactory(user=user, start_ts=T0, status=Chunk.Status.DONE, segments_count=1)
    utterance = UtteranceFactory(chunk=chunk, start_ms=100, end_ms=800, text="somebody else talking")
    page = owner_client.get(DAY).content.decode()
    assert f'action="/timeline/segments/{utterance.id}/not-me/"' in page
    response = owner_client.post(f"/timeline/segments/{utterance.id}/not-me/", {"next": DAY})
    assert response.status_code == 302
    assert not Utterance.objects.filter(id=utterance.id).exists()
    assert VoiceSample.objects.get(user=user).kind == VoiceSample.Kind.OTHER
