"""Audio players show their length before they are played (not 0:00 / 0:00), and a long page does
not load every clip at once: only the players near the screen ask for their metadata."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chunks.models import Chunk
from tests.audio_samples import wav_bytes
from tests.browser.conftest import DAY_ONE, log_in
from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.models import Utterance

KNOWN_LENGTH = "audio => audio.readyState >= 1 && audio.duration > 0"


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_the_bubbles_players_show_their_length_before_playing(request, viewport, owner):
    page = request.getfixturevalue(viewport)
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    player = page.locator("#utterances .bubble audio").first
    page.wait_for_function(KNOWN_LENGTH, arg=player.element_handle())
    first = Utterance.objects.filter(user=owner).order_by("start_ts").first()
    assert player.evaluate("audio => audio.duration") == pytest.approx((first.end_ms - first.start_ms) / 1000, abs=0.05)
    assert player.evaluate("audio => audio.paused && audio.currentTime === 0")  # nothing played


def test_only_the_players_near_the_screen_load(phone_page, owner):
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
    page.on("request", lambda r: asked.append(r.url) if "/audio" in r.url else None)
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    players = page.locator("#utterances .bubble audio")
    page.wait_for_function(KNOWN_LENGTH, arg=players.first.element_handle())
    page.wait_for_load_state("networkidle")
    assert 0 < len(set(asked)) < players.count() // 2, asked
    last = players.last
    last.scroll_into_view_if_needed()
    page.wait_for_function(KNOWN_LENGTH, arg=last.element_handle())
