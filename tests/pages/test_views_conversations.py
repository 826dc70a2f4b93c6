"""/timeline/conversations/<id>/ (one conversation, words ready to follow the audio), its
downloads, the day's download, and the day view's conversation groups."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from tests.factories import T0, ChunkFactory, LocationFactory, UtteranceFactory

WORDS = [
    {"start_ms": 1000, "end_ms": 1400, "text": " Hello", "probability": 0.9},
    {"start_ms": 1500, "end_ms": 2000, "text": " <there>", "probability": 0.8},
]


def say(user, seconds: float, text: str = "words", **fields):
    chunk_fields = {k[6:]: fields.pop(k) for k in list(fields) if k.startswith("chunk_")}
    chunk = ChunkFactory(user=user, start_ts=T0 + timedelta(seconds=seconds), **chunk_fields)
    return UtteranceFactory(chunk=chunk, text=text, **{"start_ms": 0, "end_ms": 2000, **fields})


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def talk(user):
    """One conversation: two utterances with word timings, others speaking between them."""
    regions = [{"start_ms": 3000, "end_ms": 8000, "similarity": 0.1, "decision": "other"}]
    first = say(
        user, 0, "Hello <there>", start_ms=900, end_ms=2100, words=WORDS,
        chunk_location=LocationFactory(address="Home"), chunk_decision={"regions": regions}, chunk_duration_ms=10_000,
    )
    second = say(user, 9, "Fine, thanks.")
    return first, second


def test_it_shows_a_conversation_with_words_ready_to_highlight(owner_client, talk):
    first, second = talk
    page = owner_client.get(f"/timeline/conversations/{first.id}/").content.decode()
    # word times are from the start of the utterance's clip (900 ms into its recording)
    assert (
        '<span class="word" data-start="100" data-end="500">Hello</span> '
        '<span class="word" data-start="600" data-end="1100">&lt;there&gt;</span>'
    ) in page
    assert "Fine, thanks." in page  # no word timings: the plain text
    assert '<dd class="place">Home</dd>' in page
    assert "Others spoke here · 5 s" in page
    assert page.count('data-play data-utterance-id="') == 2
    assert "data-play-all" in page and "/static/js/conversation.js" in page
    for format in ("txt", "md", "srt", "vtt"):
        assert f'href="/timeline/conversations/{first.id}/export?format={format}" download' in page


def test_any_utterance_of_it_redirects_to_the_conversation(owner_client, talk):
    first, second = talk
    response = owner_client.get(f"/timeline/conversations/{second.id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/timeline/conversations/{first.id}/#utterance-{second.id}"


def test_it_is_the_owners_alone(client, other_user, talk):
    client.force_login(other_user)
    assert client.get(f"/timeline/conversations/{talk[0].id}/").status_code == 404
    assert client.get(f"/timeline/conversations/{talk[0].id}/export").status_code == 404
    assert client.get("/timeline/conversations/999999/").status_code == 404


def test_it_downloads_a_conversation(owner_client, talk):
    first, second = talk
    response = owner_client.get(f"/timeline/conversations/{second.id}/export", {"format": "srt"})
    assert response["Content-Type"] == "application/x-subrip; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="conversation-2024-05-01-0900-{first.id}.srt"'
    assert response.content.decode() == (
        "1\n00:00:00,000 --> 00:00:01,200\nHello <there>\n\n2\n00:00:08,100 --> 00:00:10,100\nFine, thanks.\n"
    )
    assert owner_client.get(f"/timeline/conversations/{first.id}/export", {"format": "exe"}).status_code == 404


def test_it_downloads_a_day(owner_client, user, talk):
    say(user, 86_400, "Tomorrow's words.")
    response = owner_client.get("/timeline/export", {"day": "2024-05-01", "format": "md"})
    assert response["Content-Disposition"] == 'attachment; filename="day-2024-05-01.md"'
    text = response.content.decode()
    assert text.startswith("# Wednesday 1 May 2024\n")
    assert "- *others spoke here: 5 s*" in text and "Tomorrow" not in text
    page = owner_client.get("/timeline/", {"day": "2024-05-01"}).content.decode()
    assert 'href="/timeline/export?day=2024-05-01&amp;format=srt" download' in page


def test_the_day_groups_bubbles_by_conversation_with_one_header(owner_client, user, talk):
    later = say(user, 3600, "An hour later.", chunk_device_id="watch")
    page = owner_client.get("/timeline/", {"day": "2024-05-01"}).content.decode()
    page = page[page.index('<section id="utterances"'):]
    headers = re.findall(r'<h3 id="conversation-(\d+)" class="group-title">', page)
    assert headers == [str(talk[0].id), str(later.id)]
    assert page.count('<span class="place" title="Place">Home</span>') == 1  # in the header, not per bubble
    assert page.count('<span class="device" title="Device">watch</span>') == 1
    assert '<li class="others-spoke"><span>Others spoke here · 5 s</span></li>' in page
    # every bubble: one play button and the actions behind "⋯"
    assert page.count('<details class="bubble-menu">') == 3 and "<audio" not in page


def test_a_day_of_500_bubbles_renders_in_a_few_queries_and_fast(
    owner_client, user, django_assert_max_num_queries, settings
):
    settings.TIMELINE_DAY_PAGE_SIZE = 500
    chunk = ChunkFactory(user=user, start_ts=T0, duration_ms=3_600_000)
    UtteranceFactory._meta.model.objects.bulk_create(
        UtteranceFactory.build(
            chunk=chunk, start_ms=i * 7000, end_ms=i * 7000 + 5000,
            start_ts=T0 + timedelta(milliseconds=i * 7000), end_ts=T0 + timedelta(milliseconds=i * 7000 + 5000),
        )
        for i in range(500)
    )
    owner_client.get("/timeline/", {"day": "2024-05-01"})  # warm the template cache
    started = time.process_time()  # this process's CPU: other jobs on the machine do not count
    with django_assert_max_num_queries(20):  # as many for 500 bubbles as for 5: nothing per bubble
        response = owner_client.get("/timeline/", {"day": "2024-05-01"})
    elapsed = time.process_time() - started
    assert response.content.decode().count('class="bubble"') == 500
    assert elapsed < 2.0, f"{elapsed:.2f} s"  # ~0.4 s with the test client's template instrumentation
