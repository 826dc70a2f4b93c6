"""Real-browser tests of the owner pages: Playwright driving Debian's Chromium (never a
downloaded browser) against pytest-django's live server.

Skipped only when /usr/bin/chromium is missing (`apt-get install chromium`; .ci/run installs
it). Screenshots go to var/test-artifacts/screenshots/ (git-ignored), or $SCREENSHOT_DIR.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chunks.models import Chunk
from tests.audio_samples import wav_bytes
from tests.factories import T0, ChunkFactory, EnrollmentFactory, LocationFactory, UserFactory, UtteranceFactory

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told it is fine (the tests' own DB work is synchronous).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# A microphone that plays a beep, granted without asking: exercises MediaRecorder.
FAKE_MICROPHONE_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "var" / "test-artifacts" / "screenshots")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

DAY_ONE = "2024-05-01"  # T0's day (09:00 UTC)
DAY_TWO = "2024-05-02"
# (minutes after T0, device, place, words): two days of the owner's speech
SAID = [
    (0, "phone-1", "Lyon", "Good morning! Let's plan the garden for this weekend."),
    (12, "phone-1", "Lyon", "I need a coffee before the nine thirty meeting."),
    (50, "phone-1", "Lyon", "Can you send me the slides from yesterday?"),
    (245, "watch", "Marché de la Croix-Rousse", "Lunch at the market was lovely, the peaches are back."),
    (250, "watch", "Marché de la Croix-Rousse", "Two kilos of tomatoes and some basil, please."),
    (570, "phone-1", "", "Remind me to call mum about the weekend."),
    (24 * 60 - 45, "phone-1", "Lyon", "More coffee please, it is going to be a long day."),
    (24 * 60 + 100, "phone-1", "Lyon", "The train is late again, I will be there at eleven."),
]


def _launch(playwright, extra_args=()):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args])


@pytest.fixture(scope="session")
def playwright_driver():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = _launch(playwright_driver, ["--autoplay-policy=no-user-gesture-required"])
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def microphone_browser(playwright_driver):
    """A Chromium whose microphone is Chromium's fake device (a beep), already allowed."""
    browser = _launch(playwright_driver, FAKE_MICROPHONE_ARGS)
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def plain_http_cookies(settings):
    """The live server speaks plain HTTP: cookies marked Secure would not come back."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


class PageErrors(list):
    """JavaScript errors a page reported; the test fails on any."""


def _new_page(browser, live_server, viewport, **options):
    context = browser.new_context(
        viewport=viewport, locale="en-GB", timezone_id="UTC", base_url=live_server.url, **options
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.js_errors = errors
    return context, page


@pytest.fixture
def page(browser, live_server) -> Iterator:
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()
    assert not page.js_errors, f"the page reported errors: {page.js_errors}"


@pytest.fixture
def phone_page(browser, live_server) -> Iterator:
    context, page = _new_page(
        browser, live_server, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page
    context.close()
    assert not page.js_errors, f"the page reported errors: {page.js_errors}"


@pytest.fixture
def microphone_page(microphone_browser, live_server) -> Iterator:
    context, page = _new_page(microphone_browser, live_server, DESKTOP)
    context.grant_permissions(["microphone"], origin=live_server.url)
    yield page
    context.close()
    assert not page.js_errors, f"the page reported errors: {page.js_errors}"


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """screenshot(page, "name", full_page=True) -> the PNG's path under SCREENSHOT_DIR."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="initial")
        return path

    return take


@pytest.fixture
def owner(transactional_db):
    """An owner with a ready voice enrollment and utterance bubbles over two days, each from a
    recording whose audio is kept (so every bubble has a player)."""
    user = UserFactory(username="alex", password=PASSWORD)
    EnrollmentFactory(user=user)
    places: dict[str, object] = {}
    for index, (minutes, device, place, text) in enumerate(SAID):
        location = None
        if place:
            location = places.get(place) or LocationFactory(address=place)
            places[place] = location
        chunk = ChunkFactory(
            user=user,
            device_id=device,
            start_ts=T0 + timedelta(minutes=minutes),
            end_ts=T0 + timedelta(minutes=minutes, seconds=4),
            audio=SimpleUploadedFile("chunk.wav", wav_bytes(4.0, seed=index, freq=220 + 40 * index)),
            duration_ms=4000,
            status=Chunk.Status.DONE,
            location=location,
            segments_count=1,
        )
        UtteranceFactory(chunk=chunk, start_ms=500, end_ms=min(3900, 500 + 300 * len(text.split())), text=text)
    return user


def log_in(page, user, *, next_url: str = "/timeline/") -> None:
    """Through the login form, as a person would."""
    page.goto(next_url)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_url}")


@pytest.fixture
def owner_page(page, owner):
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    return page
