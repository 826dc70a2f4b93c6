from __future__ import annotations

from django.urls import reverse

from tests.admin_pages import count_queries
from tests.factories import ChunkFactory, UserFactory, UtteranceFactory

SEGMENTS = reverse("admin:utterances_utterance_changelist")


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def test_it_lists_segments_with_a_link_to_their_chunk(admin_client):
    segment = UtteranceFactory(text="word " * 40, confidence=0.87, owner_similarity=0.73, uncertain=True)
    response = admin_client.get(SEGMENTS)
    assert response.status_code == 200
    assert listed(response) == {segment.pk}
    html = response.content.decode()
    assert reverse("admin:chunks_chunk_change", args=[segment.chunk_id]) in html
    assert "word " * 40 not in html and "…" in html  # shortened
    for text in [segment.user.username, "phone-1", "0.87", "0.73"]:
        assert text in html


def test_it_lists_segments_without_a_query_per_row(admin_client):
    UtteranceFactory()
    few = count_queries(admin_client, SEGMENTS)
    UtteranceFactory.create_batch(5)  # each with its own chunk and user
    assert count_queries(admin_client, SEGMENTS) == few


def test_it_searches_segments_by_text_and_user(admin_client):
    noon = UtteranceFactory(text="see you at noon")
    bob = UtteranceFactory(chunk=ChunkFactory(user=UserFactory(username="bob")), text="hello")
    for term, expected in [("noon", {noon.pk}), ("bob", {bob.pk}), ("HELLO", {bob.pk})]:
        response = admin_client.get(SEGMENTS, {"q": term})
        assert response.status_code == 200
        assert listed(response) == expected, term


def test_it_filters_segments(admin_client):
    sure = UtteranceFactory(chunk=ChunkFactory(device_id="watch-2"))
    unsure = UtteranceFactory(uncertain=True)
    day = unsure.start_ts
    for params, expected in [
        ({"uncertain__exact": "1"}, {unsure.pk}),
        ({"uncertain__exact": "0"}, {sure.pk}),
        ({"device_id__exact": "watch-2"}, {sure.pk}),
        ({"start_ts__year": day.year, "start_ts__month": day.month, "start_ts__day": day.day}, {sure.pk, unsure.pk}),
        ({"start_ts__year": day.year + 1}, set()),
    ]:
        response = admin_client.get(SEGMENTS, params)
        assert response.status_code == 200, params
        assert listed(response) == expected, params


def test_it_shows_a_segment_read_only(admin_client):
    segment = UtteranceFactory(words=[{"start_ms": 0, "end_ms": 250, "text": "hello", "probability": 0.9}])
    response = admin_client.get(reverse("admin:utterances_utterance_change", args=[segment.pk]))
    assert response.status_code == 200
    assert "&quot;text&quot;: &quot;hello&quot;" in response.content.decode()
    assert not response.context["has_change_permission"]
    assert admin_client.get(reverse("admin:utterances_utterance_add")).status_code == 403


def test_it_sends_non_staff_to_the_login_page(client, user):
    client.force_login(user)
    response = client.get(SEGMENTS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_deletes_segments_through_the_service(admin_client):
    chunk = ChunkFactory(segments_count=2)
    first, second = UtteranceFactory(chunk=chunk, start_ms=0), UtteranceFactory(chunk=chunk, start_ms=2000, end_ms=3000)

    response = admin_client.post(
        SEGMENTS, {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"}
    )

    assert response.status_code == 302
    chunk.refresh_from_db()
    assert chunk.segments_count == 0
    assert sorted(chunk.suppressed_spans) == [[0, 1500], [2000, 3000]]


def test_it_links_a_duplicate_to_the_take_shown_instead(admin_client):
    kept = UtteranceFactory(chunk=ChunkFactory(device_id="pendant"))
    duplicate = UtteranceFactory(chunk=ChunkFactory(device_id="phone", user=kept.user), duplicate_of=kept)
    response = admin_client.get(reverse("admin:utterances_utterance_change", args=[duplicate.pk]))
    assert reverse("admin:utterances_utterance_change", args=[kept.pk]) in response.content.decode()
