"""A conversation in a real browser: continuous playback of its utterances, the word being said
highlighted as the audio plays, on a desktop and on a phone screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from chunks.models import Chunk
from tests.audio_samples import wav_bytes
from tests.browser.conftest import DAY_ONE, log_in
from tests.factories import T0, ChunkFactory, UtteranceFactory

# the word being said, as the page shows it
SAID_WORD = "() => { const w = document.querySelector('.word.is-said'); return w ? w.textContent : null; }"


def words(texts: list[str], *, from_ms: int, each_ms: int = 400) -> list[dict]:
    return [
        {"start_ms": start, "end_ms": start + each_ms - 50, "text": f" {t}", "probability": 0.9}
        for start, t in ((from_ms + i * each_ms, t) for i, t in enumerate(texts))
    ]


@pytest.fixture
def talk(owner):
    """A conversation of two utterances, 20 s apart, each 1.6 s of real audio with word times."""
    said = []
    spoken = [(60 * 60, ["one", "two", "three", "four"]), (60 * 60 + 20, ["five", "six", "seven", "eight"])]
    for index, (seconds, texts) in enumerate(spoken):
        chunk = ChunkFactory(
            user=owner,
            start_ts=T0 + timedelta(seconds=seconds),
            audio=SimpleUploadedFile("chunk.wav", wav_bytes(3.0, seed=50 + index, freq=300)),
            duration_ms=3000,
            status=Chunk.Status.DONE,
            segments_count=1,
        )
        said.append(
            UtteranceFactory(
                chunk=chunk, start_ms=500, end_ms=2100, text=" ".join(texts), words=words(texts, from_ms=500)
            )
        )
    return said


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_playing_a_conversation_highlights_each_word_as_it_is_said(request, viewport, owner, talk, screenshot):
    page = request.getfixturevalue(viewport)
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    page.locator(f"#conversation-{talk[0].id} a").first.click()  # the conversation's header
    expect(page.get_by_role("heading", level=1)).to_contain_text("Conversation 10:00")
    expect(page.locator(".word")).to_have_count(8)
    assert page.evaluate(SAID_WORD) is None

    page.get_by_role("button", name="Play the conversation").click()
    seen = []
    for _ in range(3):  # the highlight moves on as the audio plays: three different words in turn
        handle = page.wait_for_function(
            "(seen) => { const w = document.querySelector('.word.is-said');"
            " return w && !seen.includes(w.textContent) && w.textContent; }",
            arg=seen,
            timeout=5000,
        )
        seen.append(handle.json_value())
    assert seen[0] in ("one", "two") and len(set(seen)) == 3
    # words light up in the order they are said
    order = ["one", "two", "three", "four", "five", "six", "seven", "eight"]
    assert [order.index(word) for word in seen] == sorted(order.index(word) for word in seen)
    # and playback goes on into the next utterance by itself
    page.wait_for_function(
        "() => ['six', 'seven', 'eight'].includes(document.querySelector('.word.is-said')?.textContent)", timeout=8000
    )
    expect(page.locator(f"#utterance-{talk[1].id}")).to_have_class("bubble is-current")
    screenshot(page, f"conversation-{viewport}", full_page=False)
    if viewport == "phone_page":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        for target in (page.locator(".bubble a.play").first, page.locator(".bubble-menu summary").first):
            box = target.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44  # touch-sized


def test_a_bubbles_play_button_plays_just_that_clip_and_pauses(page, owner, talk):
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    requested = []
    page.on("request", lambda r: requested.append(r.url) if "/audio.wav" in r.url else None)
    button = page.locator(f"#utterance-{talk[1].id} a.play")
    expect(button).to_have_text("0:02")  # its length, known without loading anything
    assert requested == []
    button.click()
    expect(button).to_have_class("play is-playing")
    expect(button).to_have_attribute("aria-label", "Pause what you said at 10:00 (2 s)")
    button.click()
    expect(button).to_have_class("play")
    assert {url.rsplit("/timeline/", 1)[1] for url in requested} == {f"segments/{talk[1].id}/audio.wav"}
