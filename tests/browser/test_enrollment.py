"""Enrolling in a real browser: upload a recording of real speech through the file form, record
one with the (fake) microphone, and follow the voiceprint job until the page says how it went."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chunks.models import Chunk
from enrollment.models import Enrollment
from enrollment.services import enrollment_process
from selective_speaker.speech.types import EnrollmentError, RejectionCode
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import UserFactory

SPEECH = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "1998-15444-0009.flac"  # 7.6 s, one reader


@pytest.fixture
def newcomer(transactional_db):
    return UserFactory(username="sam", password=PASSWORD)


def enrollment_id_from(page) -> int:
    expect(page).to_have_url(re.compile(r"/enroll/\d+/$"))
    return int(re.search(r"/enroll/(\d+)/$", page.url).group(1))


def run_job(enrollment_id: int) -> Enrollment:
    """What the worker does (the page has been polling meanwhile)."""
    enrollment_process(enrollment=Enrollment.objects.get(id=enrollment_id))
    return Enrollment.objects.get(id=enrollment_id)


def upload_speech(page) -> int:
    page.get_by_label("Recording", exact=True).set_input_files(SPEECH)
    page.get_by_role("button", name="Upload", exact=True).click()
    return enrollment_id_from(page)


def test_it_enrolls_from_an_uploaded_file(page, newcomer, fake_engine, screenshot):
    log_in(page, newcomer, next_url="/timeline/")
    page.get_by_role("link", name="Record your voice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your voice")
    passage = page.locator("blockquote.phrase").inner_text()
    assert len(passage.split()) > 30
    expect(page.get_by_role("heading", name="2. Record it here")).to_be_visible()  # JavaScript is on
    expect(page.get_by_label("I read the passage shown above")).to_be_checked()
    screenshot(page, "enrollment")

    enrollment_id = upload_speech(page)
    expect(page.get_by_role("heading", name="Checking your recording…")).to_be_visible()
    enrollment = Enrollment.objects.get(id=enrollment_id)
    assert (enrollment.user, enrollment.phrase_text, enrollment.status) == (newcomer, passage, "pending")
    assert enrollment.audio.name.endswith(".flac")
    screenshot(page, "enrollment-checking")

    fake_engine.enroll_result = dataclasses.replace(fake_engine.enroll_result, transcript="the best antidote", edit_distance=40)
    assert run_job(enrollment_id).status == Enrollment.Status.READY
    status = page.locator("#enrollment-status")
    expect(status.get_by_role("heading")).to_have_text("Accepted: your voice is enrolled.")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("The words we heard differ from the passage")
    expect(status).to_contain_text("the best antidote")
    screenshot(page, "enrollment-accepted")
    assert fake_engine.calls[0][1]["phrase_text"] == passage


def test_it_says_why_a_recording_was_not_accepted(page, newcomer, fake_engine, screenshot):
    log_in(page, newcomer, next_url="/enroll/")
    enrollment_id = upload_speech(page)
    fake_engine.error = EnrollmentError(
        "more than one voice: 31% of the speech sounds like somebody else; record again alone",
        code=RejectionCode.SEVERAL_VOICES,
    )
    assert run_job(enrollment_id).status == Enrollment.Status.REJECTED
    status = page.locator("#enrollment-status")
    expect(status.get_by_role("heading")).to_have_text("More than one voice: somebody else can be heard in the recording.")
    expect(status).to_contain_text("Record again alone")
    screenshot(page, "enrollment-rejected")
    status.get_by_role("link", name="Record again").click()
    expect(page).to_have_url(re.compile(r"/enroll/$"))
    expect(page.locator(".enrollment-list")).to_contain_text("Rejected")


def test_it_refuses_a_file_that_is_not_audio(page, newcomer, tmp_path):
    log_in(page, newcomer, next_url="/enroll/")
    passage = page.locator("blockquote.phrase").inner_text()
    fake = tmp_path / "notes.wav"
    fake.write_bytes(b"these are not sounds" * 50)
    page.get_by_label("Recording", exact=True).set_input_files(fake)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("This recording cannot be used")
    expect(page.get_by_label("Recording", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("blockquote.phrase")).to_have_text(passage)  # the same passage to read
    assert not Enrollment.objects.filter(user=newcomer).exists()


def test_re_enrolling_offers_to_reprocess_past_recordings(page, owner, fake_engine):
    log_in(page, owner, next_url="/enroll/")
    expect(page.locator(".current")).to_contain_text("Your voice is enrolled")
    enrollment_id = upload_speech(page)
    run_job(enrollment_id)
    button = page.get_by_role("button", name="Reprocess 8 recordings")
    expect(button).to_be_visible()
    button.click()
    expect(page).to_have_url(re.compile(r"/timeline/$"))
    expect(page.locator("#messages")).to_contain_text("8 recordings queued to be processed again")
    assert set(Chunk.objects.filter(user=owner).values_list("status", flat=True)) == {Chunk.Status.QUEUED}


def test_it_records_with_the_microphone(microphone_page, newcomer, fake_engine, screenshot):
    page = microphone_page
    log_in(page, newcomer, next_url="/enroll/")
    page.get_by_role("button", name="Start recording").click()
    expect(page.locator("#record-status")).to_contain_text("Recording. Read the passage aloud")
    expect(page.get_by_role("button", name="Stop")).to_be_focused()
    expect(page.locator("#record-time")).to_have_text("0:02", timeout=6_000)
    loudest = page.evaluate(
        """async () => {
            const meter = document.getElementById("record-meter");
            let loudest = 0;
            // the fake microphone beeps about once a second: watch for up to 4 s
            for (let i = 0; i < 160 && loudest <= 0.01; i++) {
                loudest = Math.max(loudest, meter.value);
                await new Promise((ok) => setTimeout(ok, 25));
            }
            return loudest;
        }"""
    )
    assert loudest > 0.01  # the level meter follows the (beeping) fake microphone
    screenshot(page, "enrollment-recording", full_page=False)
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#record-review")).to_be_visible()
    expect(page.locator("#record-status")).to_contain_text(re.compile(r"Recorded \d+ s"))
    assert page.locator("#record-preview").get_attribute("src").startswith("blob:")

    page.get_by_role("button", name="Upload this recording").click()
    enrollment_id = enrollment_id_from(page)
    enrollment = Enrollment.objects.get(id=enrollment_id)
    assert enrollment.audio.name.endswith((".webm", ".ogg"))
    assert 2_000 <= enrollment.duration_ms <= 12_000
    run_job(enrollment_id)
    expect(page.locator("#enrollment-status h2")).to_have_text("Accepted: your voice is enrolled.")


@pytest.mark.slow
def test_real_speech_is_accepted_by_the_real_engine(page, newcomer, real_engine_ready):
    """No test double: the bundled models judge the uploaded recording of one reader."""
    log_in(page, newcomer, next_url="/enroll/")
    page.get_by_label("I read the passage shown above").uncheck()
    enrollment_id = upload_speech(page)
    enrollment = run_job(enrollment_id)
    assert enrollment.status == Enrollment.Status.READY, enrollment.error
    expect(page.locator("#enrollment-status h2")).to_have_text("Accepted: your voice is enrolled.", timeout=15_000)
    expect(page.locator("#enrollment-status")).to_contain_text("Speech heard")
