"""Staff's chunk pages in a real browser: every column of the list fits 1280 px, and a chunk
already queued or being processed offers no reprocess (the button says why)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chunks.models import Chunk
from tests.browser.conftest import PASSWORD
from tests.factories import T0, ChunkFactory, LocationFactory, UserFactory

CHUNKS = "/admin/chunks/chunk/"


@pytest.fixture
def staff(transactional_db):
    return UserFactory(username="riley", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def chunks(transactional_db):
    """A day of an owner's recordings, as staff see them: long places, every status."""
    owner = UserFactory(username="alexandra.longname", email="alexandra.longname@example.org")
    place = LocationFactory(address="Marché de la Croix-Rousse, Boulevard de la Croix-Rousse, Lyon, France")
    made = {}
    for index, status in enumerate(Chunk.Status.values):
        made[status] = ChunkFactory(
            user=owner,
            device_id="pendant-kitchen-01",
            start_ts=T0 + timedelta(minutes=index),
            status=status,
            duration_ms=612_340,
            owner_speech_ms=245_500,
            segments_count=12,
            attempts=2,
            location=place,
            processed_at=timezone.now(),
            claimed_at=timezone.now() if status == Chunk.Status.PROCESSING else None,
            decision={"change": {"total": 3, "added": 1, "removed": 1, "changed": 1, "unchanged": 9}},
        )
    return made


def staff_log_in(page, user, next_url: str) -> None:
    page.goto(f"/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_url}")


def test_every_column_of_the_chunk_list_fits_1280_px(page, staff, chunks, screenshot):
    staff_log_in(page, staff, CHUNKS)
    header = page.locator("#result_list thead th").filter(has_text="Last change")
    expect(header).to_be_visible()
    screenshot(page, "admin-chunk-list")
    box = header.bounding_box()
    assert box["x"] + box["width"] <= 1280, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    table = page.locator("#result_list").bounding_box()
    assert table["x"] + table["width"] <= 1280, table
    overflowing = page.locator("#result_list td, #result_list th").evaluate_all(
        "cells => cells.filter(cell => cell.scrollWidth > cell.clientWidth + 1).map(cell => cell.textContent.trim())"
    )
    assert overflowing == []  # no column squeezed narrower than its words


def test_a_chunk_already_queued_offers_no_reprocess(page, staff, chunks, django_capture_on_commit_callbacks):
    queued, done = chunks[Chunk.Status.QUEUED], chunks[Chunk.Status.DONE]
    staff_log_in(page, staff, f"{CHUNKS}{queued.pk}/change/")
    button = page.get_by_role("button", name="Reprocess")
    expect(button).to_be_disabled()
    expect(page.locator("#reprocess-blocked")).to_have_text("Already queued: it will be processed soon.")

    page.goto(f"{CHUNKS}{done.pk}/change/")
    page.get_by_role("button", name="Reprocess").click()
    expect(page.locator("ul.messagelist li")).to_contain_text("1 chunk queued for processing")
    expect(page.get_by_role("button", name="Reprocess")).to_be_disabled()
    expect(page.locator("#reprocess-blocked")).to_have_text("Already queued: it will be processed soon.")
    done.refresh_from_db()
    assert done.status == Chunk.Status.QUEUED
