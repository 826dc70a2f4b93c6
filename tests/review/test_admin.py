"""Staff pages of the review list (uncertain owner decisions), its audio clips and actions, the
voice samples, and one user's voice summary."""

from __future__ import annotations

import io
import wave
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from chunks.models import Chunk
from enrollment.models import DecisionReview, Enrollment, VoiceSample
from tests.admin_pages import count_queries, messages_of, offered_actions, queued_jobs, run_action
from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory, DecisionReviewFactory, EnrollmentFactory, UserFactory, VoiceSampleFactory

REVIEWS = reverse("admin:enrollment_decisionreview_changelist")
SAMPLES = reverse("admin:enrollment_voicesample_changelist")


def clip_url(review) -> str:
    return reverse("admin:enrollment_decisionreview_clip", args=[review.pk])


def summary_url(user) -> str:
    return reverse("admin:enrollment_user_summary", args=[user.pk])


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def staff_with(django_user_model, *codenames):
    staff = django_user_model.objects.create_user(f"staff-{'-'.join(codenames) or 'none'}", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return staff


# --- the list ---------------------------------------------------------------------------------


def test_it_lists_pending_regions_with_a_player_and_their_scores(admin_client, user):
    review = DecisionReviewFactory(
        chunk=ChunkFactory(user=user, device_id="pendant-3", status=Chunk.Status.DONE, duration_ms=10_000),
        start_ms=1200,
        end_ms=2900,
        similarity=0.5712,
    )
    gone = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE, audio=""))
    DecisionReviewFactory(verdict=DecisionReview.Verdict.OWNER)
    response = admin_client.get(REVIEWS)
    assert response.status_code == 200
    assert listed(response) == {review.pk, gone.pk}  # the list opens on pending items
    html = response.content.decode()
    for text in [
        "0.571",
        "0.029 under 0.60",
        "1.2–2.9 s",
        "1.7 s long",
        "pendant-3",
        'title="recorded 2024-05-01',
        reverse("admin:chunks_chunk_change", args=[review.chunk_id]),
        f'<audio controls preload="none" data-load-metadata src="{clip_url(review)}"',
        "region 1.0–2.7 s of 3.7 s",  # a second of context on each side
        'style="left: 27.0%; width: 45.9%"',  # the region, marked on the bar under the player
        "js/audio_metadata.js",
        summary_url(user),
        "audio no longer kept",
        "hold no text",
    ]:
        assert text in html, text
    assert clip_url(gone) not in html
    assert {"verdict", "reviewed"}.isdisjoint(response.context["cl"].list_display)  # all pending here
    decided = admin_client.get(REVIEWS, {"verdict": "all"})
    assert {"verdict", "reviewed"} <= set(decided.context["cl"].list_display)


def test_it_lists_regions_without_a_query_per_row(admin_client):
    DecisionReviewFactory()
    few = count_queries(admin_client, REVIEWS)
    for _ in range(5):
        DecisionReviewFactory()  # each with its own user and chunk
    assert count_queries(admin_client, REVIEWS) == few


def test_it_filters_regions_by_verdict_similarity_audio_and_user(admin_client, user):
    upper = DecisionReviewFactory(similarity=0.59)  # band 0.54–0.60 in thirds: ≥ 0.58
    middle = DecisionReviewFactory(similarity=0.57)
    lower = DecisionReviewFactory(similarity=0.545, chunk=ChunkFactory(user=user, status=Chunk.Status.DONE))
    unscored = DecisionReviewFactory(similarity=None, chunk=ChunkFactory(status=Chunk.Status.DONE, audio=""))
    owner = DecisionReviewFactory(verdict=DecisionReview.Verdict.OWNER)
    other = DecisionReviewFactory(verdict=DecisionReview.Verdict.NOT_OWNER)
    pending = {upper.pk, middle.pk, lower.pk, unscored.pk}
    for params, expected in [
        ({}, pending),
        ({"verdict": "owner"}, {owner.pk}),
        ({"verdict": "not_owner"}, {other.pk}),
        ({"verdict": "all"}, pending | {owner.pk, other.pk}),
        ({"band": "upper"}, {upper.pk}),
        ({"band": "middle"}, {middle.pk}),
        ({"band": "lower"}, {lower.pk}),
        ({"band": "unscored"}, {unscored.pk}),
        ({"audio": "gone"}, {unscored.pk}),
        ({"audio": "kept"}, {upper.pk, middle.pk, lower.pk}),
        ({"user__id__exact": user.pk}, {lower.pk}),
        ({"chunk__id__exact": lower.chunk_id}, {lower.pk}),
    ]:
        response = admin_client.get(REVIEWS, params)
        assert response.status_code == 200, params
        assert listed(response) == expected, params


def test_it_shows_a_region_read_only_with_its_sample(admin_client, fake_engine):
    review = DecisionReviewFactory()
    run_action(admin_client, REVIEWS, "mark_owner", [review])
    response = admin_client.get(reverse("admin:enrollment_decisionreview_change", args=[review.pk]))
    assert response.status_code == 200
    assert "Owner · campplus-192-test · 192-d · 0.7 s" in response.content.decode()
    assert not response.context["has_change_permission"] and not response.context["has_delete_permission"]
    assert admin_client.get(reverse("admin:enrollment_decisionreview_add")).status_code == 403


def test_it_sends_non_staff_to_the_login_page(client, user):
    client.force_login(user)
    for url in [REVIEWS, clip_url(DecisionReviewFactory()), summary_url(user)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url


# --- the region's audio -----------------------------------------------------------------------


def frames_of(response) -> int:
    with wave.open(io.BytesIO(response.content)) as clip:
        assert (clip.getframerate(), clip.getnchannels()) == (16000, 1)
        return clip.getnframes()


def test_it_plays_the_region_with_context_enough_to_judge_a_voice(admin_client):
    recording = SimpleUploadedFile("chunk.wav", wav_bytes(10.0))
    chunk = ChunkFactory(status=Chunk.Status.DONE, audio=recording, duration_ms=10_000)
    short = DecisionReviewFactory(chunk=chunk, start_ms=4000, end_ms=4800)  # 0.8 s: too short alone
    response = admin_client.get(clip_url(short))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav" and response["Accept-Ranges"] == "bytes"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"] == f'inline; filename="review-{short.pk}.wav"'
    assert frames_of(response) == 3000 * 16  # 2.9–5.9 s: at least 3 s, the region in the middle
    long = DecisionReviewFactory(chunk=chunk, start_ms=3000, end_ms=5500)
    assert frames_of(admin_client.get(clip_url(long))) == 4500 * 16  # a second each side
    first = DecisionReviewFactory(chunk=chunk, start_ms=200, end_ms=900)
    assert frames_of(admin_client.get(clip_url(first))) == 3000 * 16  # 0–3 s: moved inside the recording


def test_it_plays_a_short_recording_whole(admin_client):
    review = DecisionReviewFactory(start_ms=200, end_ms=900)  # of a 1 s recording
    assert frames_of(admin_client.get(clip_url(review))) == 1000 * 16


def test_it_answers_range_requests_for_the_player(admin_client):
    review = DecisionReviewFactory(start_ms=200, end_ms=900)
    whole = admin_client.get(clip_url(review)).content
    part = admin_client.get(clip_url(review), HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert part.content == whole[100:200]
    past = admin_client.get(clip_url(review), HTTP_RANGE=f"bytes={len(whole)}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(whole)}"


def test_it_has_no_clip_without_the_chunks_audio(admin_client, media_root):
    gone = DecisionReviewFactory(chunk=ChunkFactory(status=Chunk.Status.DONE, audio=""))
    assert admin_client.get(clip_url(gone)).status_code == 404
    missing = DecisionReviewFactory()
    missing.chunk.audio.storage.delete(missing.chunk.audio.name)
    assert admin_client.get(clip_url(missing)).status_code == 404
    assert admin_client.get(reverse("admin:enrollment_decisionreview_clip", args=[987654])).status_code == 404


def test_it_answers_503_when_the_audio_store_is_down(admin_client, monkeypatch):
    def store_down(*args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr("review.admin.wav_clip", store_down)
    response = admin_client.get(clip_url(DecisionReviewFactory()))
    assert response.status_code == 503


def test_it_plays_clips_only_to_staff_who_may_view_reviews(client, django_user_model):
    review = DecisionReviewFactory()
    client.force_login(staff_with(django_user_model))
    assert client.get(clip_url(review)).status_code == 403
    client.force_login(staff_with(django_user_model, "view_decisionreview"))
    assert client.get(clip_url(review)).status_code == 200


# --- actions ----------------------------------------------------------------------------------


def test_it_marks_the_owner_learns_the_voice_and_reprocesses(
    admin_client, admin_user, fake_engine, django_capture_on_commit_callbacks
):
    chunk = ChunkFactory(status=Chunk.Status.DONE)
    first = DecisionReviewFactory(chunk=chunk, start_ms=0, end_ms=500)
    second = DecisionReviewFactory(chunk=chunk, start_ms=500, end_ms=1000)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, REVIEWS, "mark_owner", [first, second])
    assert response.status_code == 302
    assert messages_of(response) == [
        "2 regions marked as the owner; voiceprint updated with 2 owner samples; 1 chunk queued for reprocessing."
    ]
    assert set(DecisionReview.objects.values_list("verdict", "reviewed_by")) == {("owner", admin_user.pk)}
    assert VoiceSample.objects.filter(kind="owner").count() == 2
    assert queued_jobs() == [("chunks.tasks.process_chunk", (chunk.pk,))]


def test_it_marks_another_voice_and_keeps_it_as_a_negative(admin_client, fake_engine):
    reviews = [DecisionReviewFactory(), DecisionReviewFactory()]
    response = run_action(admin_client, REVIEWS, "mark_not_owner", reviews)
    assert messages_of(response) == [
        "2 regions marked as not the owner; 2 voices kept as negatives; 2 chunks queued for reprocessing."
    ]
    assert VoiceSample.objects.filter(kind="other").count() == 2


def test_it_says_what_it_could_not_do(admin_client, fake_engine):
    gone = DecisionReviewFactory(chunk=ChunkFactory(status=Chunk.Status.DONE, audio=""))
    busy = DecisionReviewFactory(chunk=ChunkFactory(status=Chunk.Status.PROCESSING, claimed_at=timezone.now()))
    response = run_action(admin_client, REVIEWS, "mark_owner", [gone, busy])
    assert messages_of(response) == [
        "2 regions marked as the owner; voiceprint updated with 1 owner sample; 0 chunks queued for reprocessing; "
        "1 without a sample (audio no longer kept or unreadable); "
        "2 chunks not queued (being processed now or audio no longer kept)."
    ]


def test_it_says_when_learning_from_reviews_is_off(admin_client, fake_engine, settings):
    settings.VOICEPRINT_SAMPLES_MAX_SHARE = 0
    response = run_action(admin_client, REVIEWS, "mark_owner", [DecisionReviewFactory()])
    assert "1 owner sample stored, not used (VOICEPRINT_SAMPLES_MAX_SHARE is 0)" in messages_of(response)[0]


def test_it_refuses_more_regions_than_it_can_embed_at_once(admin_client, fake_engine):
    chunk = ChunkFactory(status=Chunk.Status.DONE)
    reviews = [DecisionReviewFactory(chunk=chunk, start_ms=i * 10, end_ms=i * 10 + 600) for i in range(51)]
    response = run_action(admin_client, REVIEWS, "mark_not_owner", reviews)
    assert messages_of(response) == [
        f"Select at most {django_settings.REVIEW_ACTION_MAX} regions at a time (each one's audio is read and embedded now); "
        "51 were selected and nothing was changed."
    ]
    assert not VoiceSample.objects.exists()
    assert set(DecisionReview.objects.values_list("verdict", flat=True)) == {"pending"}


def test_it_offers_the_verdicts_only_to_staff_who_may_change_reviews(client, django_user_model):
    DecisionReviewFactory()
    client.force_login(staff_with(django_user_model, "view_decisionreview"))
    response = client.get(REVIEWS)
    assert response.status_code == 200 and offered_actions(response) == []
    client.force_login(staff_with(django_user_model, "view_decisionreview", "change_decisionreview"))
    assert offered_actions(client.get(REVIEWS)) == ["mark_owner", "mark_not_owner"]


def test_it_lists_voice_samples_read_only(admin_client):
    sample = VoiceSampleFactory(kind=VoiceSample.Kind.OTHER, review=DecisionReviewFactory())
    response = admin_client.get(SAMPLES)
    assert response.status_code == 200 and listed(response) == {sample.pk}
    html = response.content.decode()
    assert "Other voice" in html and f"Review {sample.review_id}" in html
    assert admin_client.get(reverse("admin:enrollment_voicesample_add")).status_code == 403


# --- one user's voice summary -----------------------------------------------------------------


def record(*regions, threshold=0.6):
    return {
        "strategy": "voiceprint",
        "threshold": threshold,
        "uncertain_margin": 0.06,
        "regions": [
            {"start_ms": i * 2000, "end_ms": i * 2000 + 1500, "similarity": s, "decision": d}
            for i, (s, d) in enumerate(regions)
        ],
    }


@pytest.fixture
def busy_user(user):
    now = timezone.now()
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error="more than one voice", error_code="several_voices")
    EnrollmentFactory(user=user, speech_ms=14_000, window_count=18, consistency=0.8123)
    done = {"user": user, "status": Chunk.Status.DONE}
    ChunkFactory(**done, processed_at=now, decision=record((0.81, "owner"), (0.2, "other")))
    ChunkFactory(**done, processed_at=now, decision=record((0.57, "uncertain")))
    ChunkFactory(**done, processed_at=now - timedelta(days=1), decision=record((0.7, "owner"), threshold=0.55))
    ChunkFactory(user=user, status=Chunk.Status.FAILED, processed_at=now, error="the audio file is missing from storage")
    ChunkFactory(user=user, status=Chunk.Status.INDETERMINATE, processed_at=now, error="the owner match is uncertain")
    ChunkFactory(user=user)
    DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE), verdict="owner", similarity=0.58)
    DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE))
    VoiceSampleFactory(user=user)
    VoiceSampleFactory(user=user, kind=VoiceSample.Kind.OTHER)
    VoiceSampleFactory(user=user, kind=VoiceSample.Kind.OTHER)
    ChunkFactory(status=Chunk.Status.FAILED, error="somebody else's failure")
    return user


def test_it_summarises_a_users_voice_and_chunks(admin_client, busy_user):
    response = admin_client.get(summary_url(busy_user))
    assert response.status_code == 200
    summary = response.context["summary"]
    counts = {status: count for status, _, count in summary.chunk_counts}
    assert counts == {"queued": 1, "waiting": 0, "processing": 0, "done": 5, "failed": 1, "indeterminate": 1}
    assert summary.verdicts == {"pending": 1, "owner": 1, "not_owner": 0}
    assert summary.samples == {"owner": 1, "other": 2}
    assert summary.active.owner_samples == 1 and len(summary.active.negatives) == 2
    html = response.content.decode()
    for text in [
        "Voice summary of",
        "more than one voice",  # the rejected enrollment's reason
        "0.812",  # consistency
        "campplus-192-test (192-d)",
        "the audio file is missing from storage",
        "the owner match is uncertain",
        "2 voices known not to be the owner",
        "<svg",
        "threshold 0.60",
        "uncertain from 0.54",
        "Older records were decided with threshold 0.55",
    ]:
        assert text in html, text
    assert "somebody else" not in html


def test_it_plots_seconds_of_speech_per_similarity_bin(admin_client, busy_user):
    histogram = admin_client.get(summary_url(busy_user)).context["summary"].histogram
    assert (histogram.chunks, histogram.regions, histogram.threshold, histogram.margin) == (3, 4, 0.6, 0.06)
    assert sum(histogram.seconds["owner"]) == 3.0 and sum(histogram.seconds["uncertain"]) == 1.5
    assert histogram.lo <= 0.2 and histogram.hi >= 0.81
    assert histogram.reviewed == {"owner": [0.58], "not_owner": []}


def test_it_summarises_a_user_with_nothing_yet(admin_client, user):
    response = admin_client.get(summary_url(user))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["No ready enrollment", "No enrollment yet", "No failed or indeterminate chunk", "No processed chunk"]:
        assert text in html, text
    assert admin_client.get(reverse("admin:enrollment_user_summary", args=[987654])).status_code == 404


def test_it_shows_the_summary_only_to_staff_who_may_view_enrollments(client, django_user_model, user):
    client.force_login(staff_with(django_user_model, "view_decisionreview"))
    assert client.get(summary_url(user)).status_code == 403
    client.force_login(staff_with(django_user_model, "view_enrollment"))
    assert client.get(summary_url(user)).status_code == 200


def test_it_links_the_summary_from_the_enrollments_and_the_user_page(admin_client, user):
    EnrollmentFactory(user=user)
    assert summary_url(user) in admin_client.get(reverse("admin:enrollment_enrollment_changelist")).content.decode()
    user_page = admin_client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert summary_url(user) in user_page and "Voice summary" in user_page
    assert "Change password" in user_page or "password" in user_page  # Django's own page is still there


def test_it_renders_the_summary_in_a_bounded_number_of_queries(admin_client, busy_user):
    few = count_queries(admin_client, summary_url(busy_user))
    for _ in range(5):
        ChunkFactory(user=busy_user, status=Chunk.Status.FAILED, processed_at=timezone.now(), error="x")
        DecisionReviewFactory(chunk=ChunkFactory(user=busy_user, status=Chunk.Status.DONE), verdict="not_owner")
    assert count_queries(admin_client, summary_url(busy_user)) == few


def test_it_needs_no_plotting_library_for_the_histogram(admin_client, busy_user, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it would fail
    assert "<svg" in admin_client.get(summary_url(busy_user)).content.decode()


def test_it_keeps_the_enrollment_admin_linking_every_row_to_its_summary(admin_client):
    other = UserFactory()
    EnrollmentFactory(user=other)
    html = admin_client.get(reverse("admin:enrollment_enrollment_changelist")).content.decode()
    assert f'<a href="{summary_url(other)}">Summary</a>' in html
