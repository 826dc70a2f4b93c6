"""The cross-device merge in a real browser: words the phone and the pendant both heard are one
bubble, which says where else they were heard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from chunks.models import Chunk
from tests.browser.conftest import DAY_ONE, PASSWORD, log_in
from tests.factories import T0, ChunkFactory, EnrollmentFactory, UserFactory
from utterances.services import UtteranceDraft, utterances_replace

SAID = "Shall we meet at the fountain at noon?"


@pytest.fixture
def two_devices_owner(transactional_db):
    """An owner whose phone and pendant (its clock 2.5 s ahead) both recorded the same words."""
    user = UserFactory(username="sam", password=PASSWORD)
    EnrollmentFactory(user=user)
    for device_id, offset_s, similarity in [("phone-1", 0.0, 0.61), ("pendant", 2.5, 0.86)]:
        start_ts = T0 + timedelta(seconds=offset_s)
        chunk = ChunkFactory(user=user, device_id=device_id, start_ts=start_ts, status=Chunk.Status.DONE, segments_count=1)
        draft = UtteranceDraft(400, 2900, SAID, [], confidence=0.9, owner_similarity=similarity, uncertain=False)
        utterances_replace(chunk=chunk, drafts=[draft])
    return user


@pytest.mark.parametrize("viewport", ["page", "phone_page"])  # 1280 px and a 390 px phone
def test_it_shows_words_two_devices_heard_as_one_bubble(request, viewport, two_devices_owner, screenshot):
    page = request.getfixturevalue(viewport)
    log_in(page, two_devices_owner, next_url=f"/timeline/?day={DAY_ONE}")
    bubbles = page.locator(".bubble")
    expect(bubbles).to_have_count(1)
    expect(bubbles.first).to_contain_text(SAID)
    expect(bubbles.first.locator(".also-heard")).to_have_text("also heard on phone-1")
    screenshot(page, f"timeline-merged-take-{viewport}")

    page.goto(f"/timeline/?day={DAY_ONE}&device_id=phone-1")  # the phone's own take, on its own
    expect(bubbles).to_have_count(1)
    expect(bubbles.first).to_contain_text(SAID)
    expect(bubbles.first.locator(".also-heard")).to_have_count(0)
