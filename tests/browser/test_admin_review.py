"""Staff review uncertain owner decisions in a real browser: listen to a region, mark it as the
owner or not, see what the action did, and open the user's voice summary."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from chunks.models import Chunk
from enrollment.models import DecisionReview, VoiceSample
from tests.browser.conftest import PASSWORD, ROOT
from tests.factories import T0, ChunkFactory, DecisionReviewFactory, EnrollmentFactory, UserFactory

CONVERSATION = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "sim_ls_2spk_FM_0-34s.flac"
DOCS_SCREENSHOT = ROOT / "docs" / "screenshots" / "review.png"
REVIEWS = "/admin/enrollment/decisionreview/"


@pytest.fixture
def staff(transactional_db):
    return UserFactory(username="riley", password=PASSWORD, is_staff=True, is_superuser=True)


def regions(*similarities):
    return [
        {"start_ms": 1000 + i * 3000, "end_ms": 2500 + i * 3000, "similarity": s, "decision": d}
        for i, (s, d) in enumerate(similarities)
    ]


@pytest.fixture
def uncertain(transactional_db):
    """An owner whose recordings left five stretches the engine was unsure about."""
    owner = UserFactory(username="alex")
    EnrollmentFactory(user=owner)
    recording = CONVERSATION.read_bytes()
    kept = ChunkFactory(
        user=owner,
        device_id="pendant-1",
        audio=SimpleUploadedFile("chunk.flac", recording),
        duration_ms=34_000,
        status=Chunk.Status.DONE,
        processed_at=timezone.now(),
        decision={
            "strategy": "voiceprint",
            "threshold": 0.6,
            "uncertain_margin": 0.06,
            "regions": regions((0.81, "owner"), (0.58, "uncertain"), (0.31, "other"), (0.55, "uncertain")),
        },
    )
    other = ChunkFactory(user=owner, device_id="phone-1", start_ts=T0 + timedelta(hours=2), status=Chunk.Status.DONE)
    gone = ChunkFactory(user=owner, device_id="phone-1", status=Chunk.Status.DONE, audio="")
    made = [
        DecisionReviewFactory(chunk=kept, start_ms=14_400, end_ms=16_300, similarity=0.5931),
        DecisionReviewFactory(chunk=kept, start_ms=21_400, end_ms=22_400, similarity=0.5712),
        DecisionReviewFactory(chunk=other, start_ms=100, end_ms=900, similarity=0.5468),
        DecisionReviewFactory(chunk=gone, start_ms=200, end_ms=800, similarity=0.5824),
    ]
    DecisionReviewFactory(chunk=other, verdict=DecisionReview.Verdict.OWNER, reviewed_at=timezone.now())
    return owner, made


def admin_log_in(page, user) -> None:
    page.goto(REVIEWS)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{REVIEWS}")


def row(page, review):
    return page.locator("#result_list tbody tr").filter(has=page.locator(f'input[value="{review.pk}"]'))


def run_action(page, reviews, action_label: str) -> None:
    for review in reviews:
        row(page, review).locator("input.action-select").check()
    page.locator('select[name="action"]').select_option(label=action_label)
    page.get_by_role("button", name="Go").click()


def test_it_lets_staff_listen_and_judge_uncertain_regions(page, staff, uncertain, fake_engine, screenshot):
    owner, (near, middle, short, without_audio) = uncertain
    admin_log_in(page, staff)
    expect(page.get_by_role("heading", level=1)).to_have_text("Uncertain owner decisions to review")
    expect(page.locator("#result_list tbody tr")).to_have_count(4)  # pending only
    expect(row(page, without_audio)).to_contain_text("audio no longer kept")

    # The player loads the region (1.9 s) with a second on each side from the staff-only clip
    # view, and shows its length before it is played; the bar under it marks the region.
    player = row(page, near).locator("audio")
    player.scroll_into_view_if_needed()
    page.wait_for_function("audio => audio.readyState >= 1 && audio.duration > 0", arg=player.element_handle())
    assert player.evaluate("audio => audio.duration") == pytest.approx(3.9, abs=0.05)
    expect(row(page, near)).to_contain_text("region 1.0–2.9 s of 3.9 s")
    region = row(page, near).locator(".review-clip-region").bounding_box()
    bar = row(page, near).locator(".review-clip-bar").bounding_box()
    assert region["x"] - bar["x"] == pytest.approx(bar["width"] * 1.0 / 3.9, abs=2)
    shot = screenshot(page, "admin-review-list")
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, DOCS_SCREENSHOT)

    run_action(page, [near, middle], "This is the owner (learn the voice, reprocess)")
    expect(page.locator("ul.messagelist li")).to_have_text(
        "2 regions marked as the owner; voiceprint updated with 2 owner samples; 1 chunk queued for reprocessing."
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(2)

    run_action(page, [short, without_audio], "Not the owner (keep as another voice, reprocess)")
    expect(page.locator("ul.messagelist li.warning")).to_have_text(
        "2 regions marked as not the owner; 1 voice kept as negatives; 1 chunk queued for reprocessing; "
        "1 without a sample (audio no longer kept or unreadable); "
        "1 chunk not queued (being processed now or audio no longer kept)."
    )
    expect(page.get_by_text("0 voice decisions to review")).to_be_visible()
    assert dict(VoiceSample.objects.values_list("review_id", "kind")) == {
        near.pk: "owner",
        middle.pk: "owner",
        short.pk: "other",
    }
    assert Chunk.objects.get(id=near.chunk_id).status == Chunk.Status.QUEUED

    page.get_by_role("link", name="The owner", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)

    # The user's voice summary, from the user column.
    page.locator("#result_list tbody tr").first.get_by_role("link", name=owner.username).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Voice summary of {owner.username}")
    expect(page.locator("#voiceprint")).to_contain_text("2 joined")
    expect(page.locator("#voiceprint")).to_contain_text("1 voice known not to be the owner")
    expect(page.locator("#similarity svg")).to_be_visible()
    screenshot(page, "admin-voice-summary")
