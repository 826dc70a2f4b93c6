"""'Was this you?' in a real browser: the day's question card, listening to it, answering in
place, and 'Not me' on a kept utterance."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from chunks.models import Chunk
from enrollment.models import DecisionReview, VoiceSample
from tests.audio_samples import wav_bytes
from tests.browser.conftest import DAY_ONE, log_in
from tests.factories import T0, ChunkFactory, DecisionReviewFactory
from utterances.models import Utterance


@pytest.fixture
def question(owner):
    chunk = ChunkFactory(
        user=owner,
        device_id="pendant-1",
        start_ts=T0 + timedelta(minutes=30),
        audio=SimpleUploadedFile("chunk.wav", wav_bytes(4.0, seed=99)),
        duration_ms=4000,
        status=Chunk.Status.DONE,
    )
    return DecisionReviewFactory(chunk=chunk, start_ms=1000, end_ms=3000)


def test_it_asks_plays_and_takes_the_owners_answer_in_place(page, owner, question, fake_engine, screenshot):
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    page.evaluate("window.notReloaded = true")
    card = page.locator(f"#voice-check-{question.id}")
    expect(page.get_by_role("heading", name="Was this you?")).to_be_visible()
    expect(card).to_contain_text("pendant-1")
    duration = card.locator("audio").evaluate(
        "audio => new Promise(done => { audio.onloadedmetadata = () => done(audio.duration); audio.load(); })"
    )
    assert duration == pytest.approx(2.0, abs=0.05)  # the stretch itself, nothing around it
    screenshot(page, "voice-check")

    card.get_by_role("button", name="That was me").click()
    expect(card).to_have_count(0)
    expect(page.locator("#voice-checks")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("that stretch is yours")
    assert page.evaluate("window.notReloaded") is True
    question.refresh_from_db()
    assert (question.verdict, question.reviewed_by_id) == (DecisionReview.Verdict.OWNER, owner.id)
    assert Chunk.objects.get(id=question.chunk_id).status == Chunk.Status.QUEUED


def test_it_removes_a_bubble_that_was_not_me(page, owner, fake_engine):
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    target = page.locator("#utterances .bubble").filter(has_text="I need a coffee")
    utterance_id = int(target.get_attribute("data-segment-id"))
    page.once("dialog", lambda dialog: dialog.accept())
    target.locator(".bubble-menu summary").click()  # the bubble's actions are behind "⋯"
    target.get_by_role("button", name=re.compile("^Not me")).click()
    expect(target).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("will not be taken for yours again")
    assert not Utterance.objects.filter(id=utterance_id).exists()
    assert VoiceSample.objects.get(user=owner).kind == VoiceSample.Kind.OTHER
