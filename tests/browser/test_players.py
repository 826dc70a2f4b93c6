"""Bubbles show their length before they are played, and a long page loads no clip at all until
one is played: each bubble has one compact play button (static/js/conversation.js plays its clip in
one shared player), not an <audio> element that asks for its metadata."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from chunks.models import Chunk
from tests.audio_samples import wav_bytes
from tests.browser.conftest import DAY_ONE, log_in
from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.models import Utterance


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_the_bubbles_show_their_length_before_playing(request, viewport, owner):
    page = request.getfixturevalue(viewport)
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    button = page.locator("#utterances .bubble a.play").first
    first = Utterance.objects.filter(user=owner).order_by("start_ts").first()
    seconds = round((first.end_ms - first.start_ms) / 1000)
    expect(button).to_have_text(f"0:{seconds:02d}")
    expect(button).to_have_attribute("aria-label", f"Play what you said at 09:00 ({seconds} s)")


def test_a_long_page_loads_only_the_clip_that_is_played(phone_page, owner):
    page = phone_page
    for minute in range(30):  # a long morning: 30 more bubbles below the first ones
        chunk = ChunkFactory(
            user=owner,
            start_ts=T0 + timedelta(minutes=60 + minute),
            audio=SimpleUploadedFile("chunk.wav", wav_bytes(2.0, seed=minute)),
            duration_ms=2000,
            status=Chunk.Status.DONE,
            segments_count=1,
        )
        UtteranceFactory(chunk=chunk, start_ms=0, end_ms=1500, text=f"Note number {minute} of the long morning.")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/audio.wav") else None)
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    buttons = page.locator("#utterances a.play")
    expect(buttons).to_have_count(36)
    page.wait_for_load_state("networkidle")
    assert asked == []
    last = buttons.last
    last.scroll_into_view_if_needed()
    last.click()
    expect(last).to_have_class("play is-playing")
    assert {url.rsplit("/timeline/", 1)[1] for url in asked} == {last.get_attribute("href").rsplit("/timeline/", 1)[1]}
