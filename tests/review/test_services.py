"""The review list of uncertain owner decisions: made when a chunk's result is stored, judged by
staff (enrollment.services.decision_review_judge), feeding the voiceprint and its negatives."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError
from django.utils import timezone

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import chunk_delete, chunk_reprocess
from enrollment.models import DecisionReview, VoiceSample
from enrollment.selectors import enrollment_active_voiceprint
from enrollment.services import decision_reviews_replace
from review.services import decision_review_judge
from selective_speaker.speech.decision import DecisionRecord
from tests.admin_pages import queued_jobs
from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory, DecisionReviewFactory, EnrollmentFactory, UserFactory
from utterances.models import Utterance

OWNER, NOT_OWNER = DecisionReview.Verdict.OWNER, DecisionReview.Verdict.NOT_OWNER


def region(start_ms, end_ms, decision, similarity=0.57):
    return {"start_ms": start_ms, "end_ms": end_ms, "similarity": similarity, "decision": decision}


def decided_like(fake_engine, *regions):
    fake_engine.chunk_result.decision = DecisionRecord.from_dict(
        {
            "strategy": "voiceprint",
            "threshold": 0.6,
            "uncertain_margin": 0.06,
            "embedding_model": "campplus-192-test",
            "regions": list(regions),
        }
    )


def reviews_of(chunk) -> list[tuple[int, int, str]]:
    return list(
        DecisionReview.objects.filter(chunk=chunk).order_by("start_ms").values_list("start_ms", "end_ms", "verdict")
    )


# --- review items from a stored result --------------------------------------------------------


def test_it_lists_each_uncertain_region_of_a_stored_result_for_review(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    decided_like(
        fake_engine,
        region(0, 1500, "owner", 0.71),
        region(1500, 2600, "uncertain", 0.571),
        region(2600, 2900, "uncertain", 0.55),  # too short to judge by ear
        region(3000, 4000, "other", 0.2),
        region(4000, 4800, "uncertain", None),
    )
    chunk_process(chunk_id=chunk.id)
    reviews = list(DecisionReview.objects.filter(chunk=chunk).order_by("start_ms"))
    assert [(r.start_ms, r.end_ms, r.similarity, r.verdict) for r in reviews] == [
        (1500, 2600, 0.571, "pending"),
        (4000, 4800, None, "pending"),
    ]
    first = reviews[0]
    assert first.user == user and first.threshold == 0.6 and first.margin == 0.06
    assert first.strategy == "voiceprint" and first.embedding_model == "campplus-192-test"
    assert first.duration_ms == 1100 and first.reviewed_by is None and first.reviewed_at is None
    # text-free: the review rows hold no words of the stored segments
    stored_text = {s.text for s in Utterance.objects.filter(chunk=chunk)}
    row_values = {str(v) for row in DecisionReview.objects.values() for v in row.values()}
    assert stored_text and not stored_text & row_values


def test_it_replaces_pending_items_and_keeps_decided_ones_when_reprocessed(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    decided_like(fake_engine, region(1000, 2000, "uncertain"), region(3000, 4000, "uncertain"))
    chunk_process(chunk_id=chunk.id)
    DecisionReview.objects.filter(chunk=chunk, start_ms=1000).update(verdict=OWNER, reviewed_at=timezone.now())
    # the new result: the judged stretch is still uncertain (a bit wider), the other one moved
    decided_like(
        fake_engine,
        region(900, 2000, "uncertain"),
        region(3200, 4100, "uncertain"),
        region(5000, 6000, "uncertain"),
    )
    chunk_reprocess(chunks=[chunk])
    chunk_process(chunk_id=chunk.id)
    assert reviews_of(chunk) == [(1000, 2000, "owner"), (3200, 4100, "pending"), (5000, 6000, "pending")]


def test_it_stores_review_items_in_the_results_transaction(user, fake_engine, monkeypatch):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    decided_like(fake_engine, region(1000, 2000, "uncertain"))
    chunk_process(chunk_id=chunk.id)
    chunk_reprocess(chunks=[chunk])
    decided_like(fake_engine, region(5000, 6000, "uncertain"))

    def broken_bulk_create(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(Utterance.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(DatabaseError):
        chunk_process(chunk_id=chunk.id)
    assert reviews_of(chunk) == [(1000, 2000, "pending")]  # rolled back with the segments


def test_it_does_not_ask_about_a_region_staff_mostly_judged_already(db):
    review = DecisionReviewFactory(start_ms=1000, end_ms=2000, verdict=NOT_OWNER)
    chunk = review.chunk
    decision = {"threshold": 0.6, "uncertain_margin": 0.06, "strategy": "voiceprint"}
    decision["regions"] = [region(1400, 2400, "uncertain"), region(1800, 3000, "uncertain")]
    assert decision_reviews_replace(chunk=chunk, record=DecisionRecord.from_dict(decision)) == 1
    assert reviews_of(chunk) == [(1000, 2000, "not_owner"), (1800, 3000, "pending")]


def test_it_deletes_review_items_and_their_samples_with_the_chunk(user, fake_engine):
    review = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE))
    decision_review_judge(reviews=[review], verdict=OWNER, reviewed_by=UserFactory(is_staff=True))
    assert VoiceSample.objects.filter(review=review).exists()
    chunk_delete(chunk=review.chunk)
    assert not DecisionReview.objects.exists() and not VoiceSample.objects.exists()


# --- verdicts ---------------------------------------------------------------------------------


def test_it_learns_an_owner_sample_from_the_regions_audio_and_reprocesses(
    user, fake_engine, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    review = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE), start_ms=200, end_ms=900)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = decision_review_judge(reviews=[review], verdict=OWNER, reviewed_by=staff)
    assert (outcome.marked, outcome.samples, outcome.without_sample) == (1, 1, 0)
    assert (outcome.chunks_queued, outcome.chunks_skipped) == (1, 0)
    review.refresh_from_db()
    assert review.verdict == OWNER and review.reviewed_by == staff and review.reviewed_at is not None
    sample = VoiceSample.objects.get(review=review)
    assert (sample.user, sample.kind, sample.dim, sample.model_id, sample.duration_ms) == (
        user,
        VoiceSample.Kind.OWNER,
        192,
        "campplus-192-test",
        700,
    )
    assert fake_engine.embedder.clips == [700 * 16]  # just the region: 0.7 s at 16 kHz
    assert np.isclose(np.linalg.norm(sample.embedding_array()), 1.0)
    assert Chunk.objects.get(id=review.chunk_id).status == Chunk.Status.QUEUED
    assert queued_jobs() == [("chunks.tasks.process_chunk", (review.chunk_id,))]


@pytest.mark.parametrize(("sample_rate", "band"), [(16_000, "wide"), (8_000, "narrow")])
def test_a_sample_records_the_band_of_its_chunk(user, fake_engine, sample_rate, band):
    # an 8 kHz recording (a phone line) has nothing above 4 kHz: its sample joins the narrow voiceprint
    audio = ContentFile(wav_bytes(2.0, sample_rate=sample_rate, seed=1), name="chunk.wav")
    review = DecisionReviewFactory(chunk=ChunkFactory(user=user, audio=audio), start_ms=200, end_ms=1500)
    decision_review_judge(reviews=[review], verdict=OWNER, reviewed_by=UserFactory(is_staff=True))
    assert VoiceSample.objects.get(review=review).band == band


def test_it_keeps_a_rejected_voice_as_a_negative_for_the_next_run(user, fake_engine):
    EnrollmentFactory(user=user)
    review = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE))
    decision_review_judge(reviews=[review], verdict=NOT_OWNER, reviewed_by=UserFactory(is_staff=True))
    sample = VoiceSample.objects.get(review=review)
    assert sample.kind == VoiceSample.Kind.OTHER
    chunk_process(chunk_id=review.chunk_id)
    negatives = fake_engine.calls[-1][1]["negatives"]
    np.testing.assert_array_equal(negatives, sample.embedding_array()[None, :])


def test_it_passes_no_negatives_while_there_are_none(user, fake_engine):
    EnrollmentFactory(user=user)
    chunk_process(chunk_id=ChunkFactory(user=user).id)
    assert fake_engine.calls[-1][1]["negatives"] is None


def test_it_turns_a_sample_around_without_reading_the_audio_again(user, fake_engine, monkeypatch):
    staff = UserFactory(is_staff=True)
    review = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE))
    decision_review_judge(reviews=[review], verdict=OWNER, reviewed_by=staff)
    sample = VoiceSample.objects.get(review=review)
    monkeypatch.setattr("enrollment.services.read_stored_audio", pytest.fail)
    outcome = decision_review_judge(reviews=[review], verdict=NOT_OWNER, reviewed_by=staff)
    assert (outcome.marked, outcome.samples) == (1, 1)
    assert list(VoiceSample.objects.values_list("id", "kind")) == [(sample.id, VoiceSample.Kind.OTHER)]
    assert len(fake_engine.embedder.clips) == 1


def test_it_reads_each_chunk_once_for_all_its_regions(user, fake_engine, monkeypatch):
    import enrollment.services

    reads = []
    original = enrollment.services.read_stored_audio
    def counted_read(stored, **options):
        reads.append(stored.name)
        return original(stored, **options)

    monkeypatch.setattr("enrollment.services.read_stored_audio", counted_read)
    chunk = ChunkFactory(user=user, status=Chunk.Status.DONE)
    reviews = [DecisionReviewFactory(chunk=chunk, start_ms=s, end_ms=s + 300) for s in (0, 300, 600)]
    outcome = decision_review_judge(reviews=reviews, verdict=OWNER, reviewed_by=UserFactory(is_staff=True))
    assert len(reads) == 1 and len(fake_engine.embedder.clips) == 3
    assert (outcome.marked, outcome.samples, outcome.chunks_queued) == (3, 3, 1)


def test_it_records_a_verdict_without_a_sample_when_the_audio_is_gone(user, fake_engine):
    gone = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE, audio=""))
    past_the_end = DecisionReviewFactory(
        chunk=ChunkFactory(user=user, status=Chunk.Status.DONE), start_ms=5000, end_ms=6000
    )
    outcome = decision_review_judge(reviews=[gone, past_the_end], verdict=OWNER, reviewed_by=None)
    assert (outcome.marked, outcome.samples, outcome.without_sample) == (2, 0, 2)
    assert (outcome.chunks_queued, outcome.chunks_skipped) == (1, 1)  # no audio: nothing to reprocess
    assert set(DecisionReview.objects.values_list("verdict", flat=True)) == {OWNER}
    assert not VoiceSample.objects.exists()


def test_it_records_the_verdict_when_the_embedding_model_is_unavailable(user, monkeypatch):
    from selective_speaker.speech.types import ModelError

    def no_engine():
        raise ModelError("the bundled models are not prepared")

    monkeypatch.setattr("enrollment.services.speech_engine", no_engine)
    review = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE))
    outcome = decision_review_judge(reviews=[review], verdict=NOT_OWNER, reviewed_by=None)
    assert (outcome.marked, outcome.samples, outcome.without_sample, outcome.chunks_queued) == (1, 0, 1, 1)


def test_it_refuses_an_unknown_verdict(db):
    with pytest.raises(ValueError, match="owner or not_owner"):
        decision_review_judge(reviews=[], verdict="pending", reviewed_by=None)


def test_it_makes_the_next_voiceprint_lean_towards_a_confirmed_owner_sample(user, fake_engine):
    enrollment = EnrollmentFactory(user=user)
    before = enrollment_active_voiceprint(user=user).vector
    review = DecisionReviewFactory(chunk=ChunkFactory(user=user, status=Chunk.Status.DONE))
    decision_review_judge(reviews=[review], verdict=OWNER, reviewed_by=None)
    sample = VoiceSample.objects.get().embedding_array()
    after = enrollment_active_voiceprint(user=user)
    assert after.owner_samples == 1 and 0 < after.samples_share <= 0.3
    assert after.vector @ sample > before @ sample
    assert after.vector @ enrollment.voiceprint_array() > 0.9  # the enrollment still dominates
