"""The timeline in a real browser: log in, read a day, search, move between days, listen,
delete, and the same on a phone-sized screen."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from chunks.models import Chunk
from tests.browser.conftest import DAY_ONE, DAY_TWO, log_in
from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.models import Utterance


def bubbles(page):
    return page.locator("#utterances .bubble")


def test_it_logs_in_through_the_form_and_shows_a_day(page, owner, screenshot):
    page.goto(f"/timeline/?day={DAY_ONE}")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Wednesday 1 May 2024")
    expect(bubbles(page)).to_have_count(6)
    expect(bubbles(page).first).to_contain_text("Good morning! Let's plan the garden")
    # one conversation per header (these utterances are minutes apart, or at another place)
    expect(page.locator(".group-title a time:first-child")).to_have_text(["09:00", "09:12", "09:50", "13:05", "13:10", "18:30"])
    expect(page.get_by_text("Marché de la Croix-Rousse").first).to_be_visible()
    # the day strip: three hours with speech, each a link to its group
    cells = page.locator(".strip-cell a")
    expect(cells).to_have_count(3)
    expect(page.locator(".strip-total")).to_contain_text("in 6 utterances")
    screenshot(page, "timeline-desktop")
    page.locator('.strip-cell a[href="#hour-13"]').click()
    expect(page).to_have_url(re.compile("#hour-13$"))
    expect(page.locator("#hour-13")).to_be_in_viewport()


def test_on_a_long_day_the_strips_hours_lead_to_the_page_where_they_start(owner_page, settings):
    settings.TIMELINE_DAY_PAGE_SIZE = 2  # DAY_ONE's six utterances: three pages
    page = owner_page
    page.goto(f"/timeline/?day={DAY_ONE}")
    expect(bubbles(page)).to_have_count(2)
    expect(page.locator(".group-title a time:first-child")).to_have_text(["09:00", "09:12"])
    page.locator(".strip-cell a").nth(2).click()  # 18:00, two pages on
    expect(page).to_have_url(re.compile(r"cursor=.*#hour-18$"))
    expect(page.locator("#hour-18")).to_be_in_viewport()
    expect(page.locator(".group-title a time:first-child")).to_have_text(["18:30"])
    page.get_by_role("link", name="Earlier utterances").click()
    expect(page.locator(".group-title a time:first-child")).to_have_text(["13:05", "13:10"])


def test_it_searches_all_days_and_highlights_the_words(owner_page, screenshot):
    page = owner_page
    page.get_by_role("searchbox", name="Search all days").fill("coffee")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search all days")
    expect(bubbles(page)).to_have_count(2)
    marks = page.locator("#utterances mark")
    expect(marks).to_have_text(["coffee", "coffee"])
    expect(marks.first).to_be_visible()
    expect(page.locator(".group-title a")).to_have_text(["Thursday 2 May 2024", "Wednesday 1 May 2024"])
    expect(page.locator("#day-strip")).to_have_count(0)
    screenshot(page, "search")
    page.get_by_role("link", name="Thursday 2 May 2024").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday 2 May 2024")


def test_it_moves_between_days_with_the_links_and_the_date_picker(owner_page):
    page = owner_page
    page.get_by_role("link", name="Thu 2 May →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday 2 May 2024")
    expect(bubbles(page)).to_have_count(2)
    page.get_by_role("link", name="← Wed 1 May").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wednesday 1 May 2024")

    page.get_by_label("Go to a day").fill(DAY_TWO)
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page).to_have_url(re.compile(f"day={DAY_TWO}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday 2 May 2024")

    page.get_by_label("Go to a day").fill("2024-05-10")
    page.get_by_label("Go to a day").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Friday 10 May 2024")
    expect(page.get_by_text("No utterances on this day.")).to_be_visible()
    expect(page.locator(".nearest a")).to_have_count(1)  # nothing said after that day
    page.get_by_role("link", name="← Thursday 2 May 2024").click()  # the nearest day with speech
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday 2 May 2024")


def test_it_filters_one_device(owner_page):
    page = owner_page
    page.get_by_label("Device", exact=True).select_option("watch")
    page.get_by_role("button", name="Show").click()
    expect(bubbles(page)).to_have_count(2)
    expect(bubbles(page).first).to_contain_text("Lunch at the market")
    expect(page.locator(".strip-cell a")).to_have_count(1)
    # the day links keep the device
    page.get_by_role("link", name="Thu 2 May →").click()
    expect(page).to_have_url(re.compile("device_id=watch"))
    expect(page.get_by_text("No utterances on this day from watch.")).to_be_visible()


def test_every_bubble_plays_its_own_words(owner_page, owner, live_server):
    page = owner_page
    players = page.locator("#utterances a.play")
    expect(players).to_have_count(6)  # one compact play button per bubble, no <audio> element each
    segment = Utterance.objects.filter(user=owner).order_by("start_ts").first()
    expected_s = (segment.end_ms - segment.start_ms) / 1000
    duration = page.evaluate(
        """async () => {
            const audio = new Audio(document.querySelector("#utterances a.play").href);
            audio.preload = "auto";
            await new Promise((ok, fail) => {
                audio.addEventListener("loadedmetadata", ok, { once: true });
                audio.addEventListener("error", () => fail(new Error("audio error " + audio.error.code)), { once: true });
            });
            await audio.play();
            await new Promise((ok) => setTimeout(ok, 400));
            audio.pause();
            return [audio.duration, audio.currentTime];
        }"""
    )
    assert abs(duration[0] - expected_s) < 0.05
    assert duration[1] > 0.1  # it really played
    # seeking asks for a range
    src = players.first.get_attribute("href")
    ranged = page.request.get(live_server.url + src, headers={"Range": "bytes=100-199"})
    assert ranged.status == 206
    assert ranged.headers["content-range"].startswith("bytes 100-199/")
    assert len(ranged.body()) == 100


def test_a_bubble_whose_recording_is_gone_has_no_player(owner_page, owner):
    page = owner_page
    page.wait_for_load_state("networkidle")
    chunk = Chunk.objects.filter(user=owner).order_by("start_ts").first()
    chunk.audio.delete(save=False)
    Chunk.objects.filter(id=chunk.id).update(audio="")
    page.reload()
    expect(page.locator("#utterances a.play")).to_have_count(5)
    expect(bubbles(page).first.locator("a.play")).to_have_count(0)


def test_it_deletes_an_utterance_in_place(owner_page, owner):
    page = owner_page
    page.evaluate("window.notReloaded = true")
    target = bubbles(page).filter(has_text="I need a coffee")
    segment_id = int(target.get_attribute("data-segment-id"))

    page.once("dialog", lambda dialog: dialog.dismiss())
    target.locator(".bubble-menu summary").click()  # the actions are behind "⋯"
    target.get_by_role("button", name=re.compile("^Delete")).click()
    expect(bubbles(page)).to_have_count(6)
    assert Utterance.objects.filter(id=segment_id).exists()

    page.once("dialog", lambda dialog: dialog.accept())
    target.get_by_role("button", name=re.compile("^Delete")).click()
    expect(target).to_have_count(0)
    expect(bubbles(page)).to_have_count(5)
    expect(page.locator("#messages")).to_contain_text("Deleted “I need a coffee")
    assert page.evaluate("window.notReloaded") is True
    assert not Utterance.objects.filter(id=segment_id).exists()
    # the focus stays nearby, on the next bubble
    expect(bubbles(page).nth(1).locator("a.play")).to_be_focused()

    page.reload()
    expect(page.get_by_text("I need a coffee")).to_have_count(0)


def test_it_deletes_a_whole_recording_in_place(owner_page, owner):
    page = owner_page
    lunch = bubbles(page).filter(has_text="Lunch at the market")
    chunk_id = int(lunch.get_attribute("data-chunk-id"))
    page.once("dialog", lambda dialog: dialog.accept())
    lunch.locator(".bubble-menu summary").click()
    lunch.get_by_role("link", name=re.compile("^Delete recording")).click()
    expect(lunch).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Deleted the recording from watch")
    assert not Chunk.objects.filter(id=chunk_id).exists()
    expect(bubbles(page)).to_have_count(5)


def test_deleting_works_without_javascript(browser, live_server, owner):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    try:
        log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
        target = bubbles(page).filter(has_text="Can you send me the slides")
        segment_id = int(target.get_attribute("data-segment-id"))
        target.locator(".bubble-menu summary").click()  # <details>: opens without JavaScript
        target.get_by_role("button", name=re.compile("^Delete")).click()
        expect(page).to_have_url(re.compile(f"day={DAY_ONE}$"))
        expect(page.locator("#messages")).to_contain_text("Deleted “Can you send me the slides")
        assert not Utterance.objects.filter(id=segment_id).exists()

        mum = bubbles(page).filter(has_text="Remind me to call mum")
        mum.locator(".bubble-menu summary").click()
        mum.get_by_role("link", name=re.compile("^Delete recording")).click()
        expect(page.get_by_role("heading", name="Delete this recording?")).to_be_visible()
        page.get_by_role("button", name="Delete the recording").click()
        expect(page).to_have_url(re.compile(f"day={DAY_ONE}$"))
        expect(page.get_by_text("Remind me to call mum")).to_have_count(0)
    finally:
        context.close()


def test_a_finished_chunk_brings_its_bubbles_without_a_reload(owner_page, owner):
    page = owner_page
    chunk = ChunkFactory(user=owner, status=Chunk.Status.PROCESSING, start_ts=T0 + timedelta(minutes=30))
    page.clock.install()
    page.reload()
    panel = page.locator("#processing")
    expect(panel).to_contain_text("Still processing")
    page.evaluate("window.notReloaded = true")

    UtteranceFactory(chunk=chunk, start_ms=0, end_ms=1000, text="Freshly processed words about the garden")
    Chunk.objects.filter(id=chunk.id).update(status=Chunk.Status.DONE, segments_count=1)
    page.clock.run_for(11_000)

    expect(page.locator(".bubble-text", has_text="Freshly processed words about the garden")).to_be_visible()
    expect(panel).to_be_hidden()
    expect(page.locator("#messages")).to_contain_text("finished processing")
    expect(page.locator(".strip-total")).to_contain_text("in 7 utterances")
    assert page.evaluate("window.notReloaded") is True


def test_the_keyboard_reaches_everything_with_a_visible_focus(owner_page):
    page = owner_page
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main$"))
    # the strip's hours are reachable by keyboard too
    page.locator('.strip-cell a[href="#hour-09"]').focus()
    expect(page.locator('.strip-cell a[href="#hour-09"]')).to_be_focused()


def test_it_fits_a_phone_screen(phone_page, owner, screenshot):
    page = phone_page
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    expect(bubbles(page)).to_have_count(6)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    for name in ("Go", "Show"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["height"] >= 44  # touch-sized
    first = bubbles(page).first
    for target in (first.locator("a.play"), first.locator(".bubble-menu summary")):
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    first.locator(".bubble-menu summary").click()
    for item in first.locator(".menu-item").all():
        assert item.bounding_box()["height"] >= 44
    first.locator(".bubble-menu summary").click()
    expect(page.locator(".strip-cell a").first).to_be_visible()
    screenshot(page, "timeline-phone", full_page=False)
    screenshot(page, "timeline-phone-full")
    page.get_by_role("searchbox", name="Search all days").fill("weekend")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#utterances mark")).to_have_count(2)
    screenshot(page, "search-phone", full_page=False)
