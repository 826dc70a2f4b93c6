"""The timeline in the owner's time zone and live, in a real browser: an utterance late in UTC
is on the next local day (heading and date picker agree), the browser's zone is saved when the
owner has none, and today's open page picks up new recordings without a reload — on a 1280 px
screen and on a 390 px phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from account.selectors import account_time_zone
from account.services import account_time_zone_set
from chunks.models import Chunk
from tests.browser.conftest import DESKTOP, PASSWORD, log_in
from tests.factories import ChunkFactory, EnrollmentFactory, UserFactory, UtteranceFactory

LATE_EVENING_UTC = datetime(2024, 5, 1, 23, 30, tzinfo=UTC)  # 01:30 on 2 May in Berlin, 19:30 in New York
VIEWPORTS = ["page", "phone_page"]


def said_at(user, when: datetime, text: str) -> None:
    chunk = ChunkFactory(user=user, start_ts=when, end_ts=when + timedelta(seconds=4), duration_ms=4000,
                         status=Chunk.Status.DONE, segments_count=1)
    UtteranceFactory(chunk=chunk, start_ms=500, end_ms=2500, text=text)


@pytest.fixture
def late_talker(transactional_db):
    user = UserFactory(username="berta", password=PASSWORD)
    EnrollmentFactory(user=user)
    said_at(user, datetime(2024, 5, 1, 10, 0, tzinfo=UTC), "Morning words in the office.")
    said_at(user, LATE_EVENING_UTC, "Words after midnight in Berlin.")
    return user


def bubble(page, text: str):
    return page.locator(".bubble-text", has_text=text)


def no_sideways_scrolling(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_late_utc_utterance_is_on_the_next_local_day(request, viewport, late_talker):
    account_time_zone_set(user=late_talker, time_zone="Europe/Berlin")
    page = request.getfixturevalue(viewport)
    log_in(page, late_talker, next_url="/timeline/?day=2024-05-01")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wednesday 1 May 2024")
    expect(page.get_by_label("Go to a day")).to_have_value("2024-05-01")
    expect(page.locator(".zone-label")).to_contain_text("Europe/Berlin (CEST)")
    expect(bubble(page, "Morning words in the office.")).to_be_visible()
    expect(bubble(page, "Words after midnight in Berlin.")).to_have_count(0)

    page.get_by_role("link", name="Thu 2 May →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday 2 May 2024")
    expect(page.get_by_label("Go to a day")).to_have_value("2024-05-02")
    expect(bubble(page, "Words after midnight in Berlin.")).to_be_visible()
    expect(page.locator("#recordings .recording-time")).to_have_text(["01:30"])
    expect(page.locator('.strip-cell a[href="#hour-01"]')).to_have_count(1)
    no_sideways_scrolling(page)

    # the Calendar button's date picker puts the chosen day in the field, ISO, and goes there
    expect(page.get_by_role("button", name="Pick the day on a calendar")).to_be_visible()
    page.locator(".day-calendar").evaluate("(el) => { el.value = '2024-05-01'; el.dispatchEvent(new Event('change')); }")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wednesday 1 May 2024")
    expect(page.get_by_label("Go to a day")).to_have_value("2024-05-01")


@pytest.fixture
def new_york_page(browser, live_server):
    """A desktop page whose browser lives in New York; reports its script errors in page.js_errors."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="America/New_York",
                                  base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    context.close()
    assert page.js_errors == []


def test_the_account_page_fills_in_and_saves_the_browsers_zone_without_a_reload(new_york_page, late_talker):
    page = new_york_page
    log_in(page, late_talker, next_url="/account/")
    page.evaluate("window.notReloaded = true")
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value("America/New_York")
    expect(page.locator(".time-zone-detected")).to_have_text(
        "Saved America/New_York, your browser's time zone. Your pages use it from now on."
    )
    assert account_time_zone(user=late_talker) == "America/New_York"
    assert page.evaluate("window.notReloaded") is True  # a new API token shown once stays shown


def test_the_browsers_zone_is_saved_when_the_owner_has_none(new_york_page, late_talker):
    page = new_york_page
    log_in(page, late_talker, next_url="/timeline/?day=2024-05-01")
    # the page came in UTC, saved the browser's zone and reloaded itself in New York's
    expect(page.locator(".zone-label")).to_contain_text("America/New_York (EDT)")
    expect(bubble(page, "Words after midnight in Berlin.")).to_be_visible()
    assert account_time_zone(user=late_talker) == "America/New_York"
    page.goto("/account/")
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value("America/New_York")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_todays_open_page_picks_up_new_recordings_without_a_reload(request, viewport, owner, screenshot):
    account_time_zone_set(user=owner, time_zone="UTC")
    page = request.getfixturevalue(viewport)
    log_in(page, owner, next_url="/timeline/")
    page.clock.install()
    page.reload()
    expect(page.locator("#processing")).to_have_attribute("data-live", "true")
    expect(page.locator("#recordings")).to_contain_text("none this day")
    page.evaluate("window.notReloaded = true")

    now = timezone.now()
    said_at(owner, now - timedelta(seconds=30), "Words said after the page was opened.")
    ChunkFactory(user=owner, start_ts=now - timedelta(seconds=20), status=Chunk.Status.FAILED,
                 error="The audio could not be decoded.")
    page.clock.run_for(11_000)

    expect(bubble(page, "Words said after the page was opened.")).to_be_visible()
    expect(page.locator("#recordings")).to_contain_text("1 utterance")
    expect(page.locator("#recordings")).to_contain_text("failed: The audio could not be decoded.")
    expect(page.locator("#processing")).to_contain_text("Recent uploads that need attention")
    expect(page.locator("#messages")).to_contain_text("new utterances")
    assert page.evaluate("window.notReloaded") is True
    no_sideways_scrolling(page)
    screenshot(page, f"timeline-live-{viewport}", full_page=False)
